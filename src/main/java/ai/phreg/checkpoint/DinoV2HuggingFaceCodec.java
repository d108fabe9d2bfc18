package ai.phreg.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Hugging Face {@code Dinov2Model} / {@code Dinov2WithRegistersModel}
 * ({@code model.safetensors} and {@code config.json}): separate query/key/value
 * projections are fused into qkv. transformers resamples plain models to size without
 * antialiasing, register models with it.
 * <p>
 * Writes Hugging Face checkpoints that {@code AutoModel.from_pretrained} loads as
 * {@code Dinov2WithRegistersModel} (with registers) or {@code Dinov2Model}: a folder with
 * {@code model.safetensors} and {@code config.json}, as {@code save_pretrained} of the
 * base model writes them. The fused qkv projection is split back into query, key and
 * value, and {@code embeddings.mask_token} is written (the source's, unchanged, else
 * zeros) so transformers finds no missing weight. Pixel statistics and the resize go to
 * {@code preprocessor_config.json}, so that {@code AutoImageProcessor} prepares images as
 * phreg does. SwiGLU layers are written as {@code weights_in}/{@code weights_out} with
 * {@code use_swiglu_ffn: true}.
 */
final class DinoV2HuggingFaceCodec extends FamilyCodec {

	/** The file {@code AutoImageProcessor.from_pretrained} reads. */
	static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";

	/**
	 * phreg parameter names to Hugging Face keys, except the fused qkv projections (see
	 * {@link #qkvKeys}); also used to write Hugging Face checkpoints.
	 */
	private static final KeyRenames RENAMES = new KeyRenames().rename("cls_token", "embeddings.cls_token")
		.rename("reg_token", "embeddings.register_tokens")
		.rename("pos_embed", "embeddings.position_embeddings")
		.rename("patch_embed\\.proj\\.(\\w+)", "embeddings.patch_embeddings.projection.$1")
		.rename("blocks\\.(\\d+)\\.attn\\.proj\\.(\\w+)", "encoder.layer.$1.attention.output.dense.$2")
		.rename("blocks\\.(\\d+)\\.ls(\\d)\\.gamma", "encoder.layer.$1.layer_scale$2.lambda1")
		.rename("blocks\\.(\\d+)\\.(norm\\d|mlp\\.fc\\d)\\.(\\w+)", "encoder.layer.$1.$2.$3")
		.rename("norm\\.(\\w+)", "layernorm.$1");

	/**
	 * {@code Dinov2WithRegistersSwiGLUFFN} names the packed gate-and-value projection
	 * {@code weights_in} and the output projection {@code weights_out}.
	 */
	private static final KeyRenames SWIGLU_RENAMES = new KeyRenames()
		.rename("blocks\\.(\\d+)\\.mlp\\.fc1\\.(\\w+)", "encoder.layer.$1.mlp.weights_in.$2")
		.rename("blocks\\.(\\d+)\\.mlp\\.fc2\\.(\\w+)", "encoder.layer.$1.mlp.weights_out.$2");

	private static final String HEADS = "num_attention_heads";

	private static final Pattern QKV = Pattern.compile("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)");

	DinoV2HuggingFaceCodec() {
		super(CheckpointLayout.HUGGING_FACE);
	}

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.DINOV2_HF;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("embeddings.cls_token")
				&& keys.contains("encoder.layer.0.attention.attention.query.weight");
	}

	@Override
	String signature() {
		return "embeddings.cls_token and encoder.layer.0.attention.attention.query.weight";
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		int dim = (int) ledger.take("embeddings.cls_token", 3).shape()[2];
		long[] pos = ledger.take("embeddings.position_embeddings", 3).shape();
		int grid = squareSide(pos[1] - 1, "embeddings.position_embeddings");
		long[] patch = ledger.take("embeddings.patch_embeddings.projection.weight", 4).shape();
		int registers = ledger.has("embeddings.register_tokens")
				? (int) ledger.take("embeddings.register_tokens", 3).shape()[1] : 0;
		String activation = sidecar.text("hidden_act").orElse("gelu");
		if (!activation.equals("gelu")) {
			throw new InvalidCheckpointException("Unsupported hidden_act '" + activation + "' in " + sidecar);
		}
		boolean swiglu = ledger.has("encoder.layer.0.mlp.weights_in.weight");
		if (sidecar.bool("use_swiglu_ffn").orElse(swiglu) != swiglu) {
			throw new InvalidCheckpointException("Config " + sidecar + " sets use_swiglu_ffn to " + !swiglu
					+ " but the weights have " + (swiglu ? "" : "no ") + "SwiGLU layers (mlp.weights_in)");
		}
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("encoder.layer."))
			.setNumHeads(HeadCount.resolve(sidecar.integer(HEADS), HEADS, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim(swiglu ? (int) ledger.take("encoder.layer.0.mlp.weights_out.weight", 2).shape()[1]
					: (int) ledger.take("encoder.layer.0.mlp.fc1.weight", 2).shape()[0])
			.optFeedForward(swiglu ? FeedForward.SWIGLU_PACKED : FeedForward.MLP)
			.optQkvBias(ledger.has("encoder.layer.0.attention.attention.query.bias"))
			.optLayerScale(ledger.has("encoder.layer.0.layer_scale1.lambda1"))
			.optLayerNormEps(sidecar.number("layer_norm_eps", 0, 1).orElse(1e-6).floatValue())
			.optRegisters(registers, format().registerPlacement())
			.optPositionResampling((registers > 0) ? PositionResampling.BICUBIC_ANTIALIAS : PositionResampling.BICUBIC)
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		agreement.modelType("dinov2", "dinov2_with_registers")
			.integer("hidden_size", config.embedDim(), "width %d")
			.integer("num_hidden_layers", config.depth(), "%d blocks")
			.integer("patch_size", config.patchSize(), "patch size %d")
			.integer("image_size", config.imageSize(), "a position embedding for image size %d")
			.integer("num_register_tokens", config.numRegisters(), "%d register tokens")
			.mlpRatio("mlp_ratio", config)
			.flag("qkv_bias", config.qkvBias(), "query/key/value biases")
			.require(config.numRegisters() == 0 || !agreement.declares("model_type", "dinov2"),
					"'model_type' is 'dinov2', which has no register tokens, but the weights have "
							+ config.numRegisters());
	}

	/**
	 * The query, key and value keys Hugging Face splits a fused qkv parameter into, in
	 * the order of the fused rows; empty for any other parameter.
	 */
	private static List<String> qkvKeys(String parameter) {
		Matcher matcher = QKV.matcher(parameter);
		if (!matcher.matches()) {
			return List.of();
		}
		String prefix = "encoder.layer." + matcher.group(1) + ".attention.attention.";
		return Stream.of("query", "key", "value").map((part) -> prefix + part + "." + matcher.group(2)).toList();
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		List<String> split = qkvKeys(parameter);
		if (!split.isEmpty()) {
			List<TensorSource> projections = new ArrayList<>();
			for (String key : split) {
				projections.add(ledger.take(key));
			}
			return TensorSource.concatRows(projections);
		}
		return ledger.take(rename(parameter, config));
	}

	private static String rename(String parameter, ViTConfig config) {
		boolean feedForward = parameter.matches("blocks\\.\\d+\\.mlp\\..*");
		return (feedForward && config.feedForward().gated()) ? SWIGLU_RENAMES.apply(parameter)
				: RENAMES.apply(parameter);
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.carry("embeddings.mask_token", CarriedTensors.MASK_TOKEN,
				"mask token of masked-image pretraining, unused at inference (kept for exports)");
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return DinoV2Family.rules(config)
			.require(config.layerScale(), "transformers' DINOv2 always has LayerScale, this model has none")
			.list();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		List<String> split = qkvKeys(parameter);
		if (split.isEmpty()) {
			sink.add(rename(parameter, config), shape, values);
			return;
		}
		// The fused rows are [query; key; value], each a third of the first axis.
		long[] part = shape.clone();
		part[0] = shape[0] / split.size();
		int length = values.length / split.size();
		for (int i = 0; i < split.size(); i++) {
			sink.add(split.get(i), part, Arrays.copyOfRange(values, i * length, (i + 1) * length));
		}
	}

	@Override
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
		DinoV2Family.addMaskToken("embeddings.mask_token", config, carried, sink);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		boolean registers = config.numRegisters() > 0;
		ObjectNode json = ConfigJson.object();
		json.putArray("architectures").add(registers ? "Dinov2WithRegistersModel" : "Dinov2Model");
		json.put("model_type", registers ? "dinov2_with_registers" : "dinov2");
		json.put("hidden_size", config.embedDim());
		json.put("num_hidden_layers", config.depth());
		json.put("num_attention_heads", config.numHeads());
		json.set("mlp_ratio", DinoV2Family.mlpRatio(config));
		json.put("hidden_act", "gelu");
		json.put("hidden_dropout_prob", 0.0);
		json.put("attention_probs_dropout_prob", 0.0);
		json.put("initializer_range", 0.02);
		json.put("layer_norm_eps", ConfigJson.decimal(config.layerNormEps()));
		json.put("image_size", config.imageSize());
		json.put("patch_size", config.patchSize());
		json.put("num_channels", 3);
		json.put("qkv_bias", config.qkvBias());
		// Only the initial value of LayerScale; the trained scales are weights.
		json.put("layerscale_value", 1.0);
		json.put("drop_path_rate", 0.0);
		json.put("use_swiglu_ffn", config.feedForward().gated());
		// transformers' backbone settings, as save_pretrained writes them: the last
		// stage.
		json.putArray("out_features").add("stage" + config.depth());
		json.putArray("out_indices").add(config.depth());
		ArrayNode stages = json.putArray("stage_names").add("stem");
		for (int stage = 1; stage <= config.depth(); stage++) {
			stages.add("stage" + stage);
		}
		json.put("apply_layernorm", true);
		json.put("reshape_hidden_states", true);
		json.put("torch_dtype", dtype.torchName());
		if (registers) {
			json.put("num_register_tokens", config.numRegisters());
		}
		else {
			json.put("use_mask_token", true);
		}
		return json;
	}

	/**
	 * transformers' {@code BitImageProcessor}, the processor of the DINOv2 models on the
	 * hub, set to phreg's preprocessing: bicubic resize of the shorter side to the
	 * model's size, a centre crop of that size, the model's pixel statistics.
	 */
	@Override
	Map<String, ObjectNode> companionFiles(ViTConfig config, Normalization normalization) {
		ObjectNode json = ConfigJson.object();
		json.put("image_processor_type", "BitImageProcessor");
		json.put("do_resize", true);
		json.putObject("size").put("shortest_edge", config.imageSize());
		// PIL.Image.BICUBIC
		json.put("resample", 3);
		json.put("do_center_crop", true);
		json.putObject("crop_size").put("height", config.imageSize()).put("width", config.imageSize());
		json.put("do_rescale", true);
		json.put("rescale_factor", 1.0 / 255);
		json.put("do_normalize", true);
		ConfigJson.decimals(json.putArray("image_mean"), normalization.mean());
		ConfigJson.decimals(json.putArray("image_std"), normalization.std());
		json.put("do_convert_rgb", true);
		return Map.of(PREPROCESSOR_CONFIG, json);
	}

}
