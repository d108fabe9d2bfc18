package ai.phreg.checkpoint;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.RotaryEmbedding;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * Hugging Face {@code DINOv3ViTModel} ({@code model.safetensors} and {@code config.json},
 * {@code model_type: dinov3_vit}): separate {@code q_proj}/{@code k_proj}/{@code v_proj}
 * fused into qkv, the absent key bias ({@code key_bias: false}) read as zeros and kept
 * masked, {@code register_tokens} as registers, {@code up_proj}/{@code down_proj} or
 * {@code gate_proj}/{@code up_proj}/{@code down_proj} feed-forward layers. RoPE uses
 * {@code rope_theta}.
 * <p>
 * Writes the same layout, a folder as {@code save_pretrained} of the base model writes
 * it. A PH-Reg student's registers are the teacher's storage tokens followed by the new
 * ones, all in {@code embeddings.register_tokens} with {@code num_register_tokens} their
 * total: transformers treats every one of them as the storage tokens are treated (after
 * the class token, no position embedding, no RoPE), which is exactly how phreg runs the
 * new registers. The absent key bias is not written ({@code key_bias: false}); the mask
 * token is the teacher's, carried unchanged (zeros without one).
 */
final class DinoV3HuggingFaceCodec extends FamilyCodec {

	private static final String HEADS = "num_attention_heads";

	private static final String MASK_TOKEN = "embeddings.mask_token";

	private static final Pattern QKV = Pattern.compile("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)");

	DinoV3HuggingFaceCodec() {
		super(CheckpointLayout.HUGGING_FACE);
	}

	private static final KeyRenames RENAMES = new KeyRenames().rename("cls_token", "embeddings.cls_token")
		.rename("reg_token", "embeddings.register_tokens")
		.rename("patch_embed\\.proj\\.(\\w+)", "embeddings.patch_embeddings.$1")
		.rename("blocks\\.(\\d+)\\.attn\\.proj\\.(\\w+)", "layer.$1.attention.o_proj.$2")
		.rename("blocks\\.(\\d+)\\.ls(\\d)\\.gamma", "layer.$1.layer_scale$2.lambda1")
		.rename("blocks\\.(\\d+)\\.(norm\\d)\\.(\\w+)", "layer.$1.$2.$3")
		.rename("blocks\\.(\\d+)\\.mlp\\.fc1_g\\.(\\w+)", "layer.$1.mlp.gate_proj.$2")
		.rename("blocks\\.(\\d+)\\.mlp\\.fc1(_x)?\\.(\\w+)", "layer.$1.mlp.up_proj.$3")
		.rename("blocks\\.(\\d+)\\.mlp\\.fc2\\.(\\w+)", "layer.$1.mlp.down_proj.$2")
		.rename("norm\\.(\\w+)", "norm.$1");

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.DINOV3_HF;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("embeddings.cls_token") && keys.contains("layer.0.attention.q_proj.weight");
	}

	@Override
	String signature() {
		return "embeddings.cls_token and layer.0.attention.q_proj.weight";
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		DinoV3Family.carryMaskToken(ledger, MASK_TOKEN);
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		int dim = (int) ledger.take("embeddings.cls_token", 3).shape()[2];
		long[] patch = ledger.take("embeddings.patch_embeddings.weight", 4).shape();
		int registers = ledger.has("embeddings.register_tokens")
				? (int) ledger.take("embeddings.register_tokens", 3).shape()[1] : 0;
		boolean gated = ledger.has("layer.0.mlp.gate_proj.weight");
		String activation = sidecar.text("hidden_act").orElse(gated ? "silu" : "gelu");
		if (!activation.equals(gated ? "silu" : "gelu")) {
			throw new InvalidCheckpointException("Unsupported hidden_act '" + activation + "' in " + sidecar + " for "
					+ (gated ? "a gated" : "an ungated") + " feed-forward layer");
		}
		boolean queryBias = ledger.has("layer.0.attention.q_proj.bias");
		return ViTConfig.builder()
			.setImageSize(sidecar.integer("image_size").orElse(DinoV3Family.IMAGE_SIZE))
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("layer."))
			.setNumHeads(HeadCount.resolve(sidecar.integer(HEADS), HEADS, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim((int) ledger.take("layer.0.mlp.up_proj.weight", 2).shape()[0])
			.optFeedForward(gated ? FeedForward.SWIGLU : FeedForward.MLP)
			.optActivation(MlpActivation.GELU)
			.optQkvBias(queryBias)
			.optMaskedKeyBias(queryBias && !ledger.has("layer.0.attention.k_proj.bias"))
			.optLayerScale(ledger.has("layer.0.layer_scale1.lambda1"))
			.optLayerNormEps(
					sidecar.number("layer_norm_eps", 0, 1).orElse((double) DinoV3Family.LAYER_NORM_EPS).floatValue())
			.optRegisters(registers, format().registerPlacement())
			.optPositionEmbedding(false)
			.optRope(RotaryEmbedding.dinoV3(sidecar.number("rope_theta").orElse(DinoV3Family.ROPE_BASE)))
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		agreement.modelType("dinov3_vit")
			.integer("hidden_size", config.embedDim(), "width %d")
			.integer("num_hidden_layers", config.depth(), "%d blocks")
			.integer("patch_size", config.patchSize(), "patch size %d")
			.integer("intermediate_size", config.mlpHiddenDim(), "a feed-forward layer %d wide")
			.integer("num_register_tokens", config.numRegisters(), "%d register tokens")
			.flag("use_gated_mlp", config.feedForward().gated(), "a gated feed-forward layer")
			.flag("key_bias", !config.maskedKeyBias() && config.qkvBias(), "a key bias");
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		Matcher qkv = QKV.matcher(parameter);
		if (!qkv.matches()) {
			return ledger.take(RENAMES.apply(parameter));
		}
		String prefix = "layer." + qkv.group(1) + ".attention.";
		String kind = qkv.group(2);
		TensorSource query = ledger.take(prefix + "q_proj." + kind);
		TensorSource key = (kind.equals("bias") && config.maskedKeyBias())
				? TensorSource.zeros(prefix + "k_proj.bias (absent: zeros)", query.shape())
				: ledger.take(prefix + "k_proj." + kind);
		return TensorSource.concatRows(List.of(query, key, ledger.take(prefix + "v_proj." + kind)));
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return DinoV3Family.rules(config)
			.require(config.layerScale(), "transformers' DINOv3 always has LayerScale, this model has none")
			.require(config.maskedKeyBias() || !config.qkvBias(),
					"transformers' DINOv3 has a query and value bias but no key bias, this model has a key bias")
			.list();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		Matcher qkv = QKV.matcher(parameter);
		if (!qkv.matches()) {
			sink.add(RENAMES.apply(parameter), shape, values);
			return;
		}
		String prefix = "layer." + qkv.group(1) + ".attention.";
		String kind = qkv.group(2);
		// The fused rows are [query; key; value], each a third of the first axis.
		long[] part = shape.clone();
		part[0] = shape[0] / 3;
		int length = values.length / 3;
		List<String> projections = List.of("q_proj", "k_proj", "v_proj");
		for (int i = 0; i < projections.size(); i++) {
			boolean maskedKeyBias = i == 1 && kind.equals("bias") && config.maskedKeyBias();
			if (!maskedKeyBias) {
				sink.add(prefix + projections.get(i) + "." + kind, part,
						Arrays.copyOfRange(values, i * length, (i + 1) * length));
			}
		}
	}

	@Override
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
		carried.addMaskToken(MASK_TOKEN, new long[] { 1, 1, config.embedDim() }, sink);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		boolean gated = config.feedForward().gated();
		ObjectNode json = ConfigJson.object();
		json.putArray("architectures").add("DINOv3ViTModel");
		json.put("model_type", "dinov3_vit");
		json.put("patch_size", config.patchSize());
		json.put("hidden_size", config.embedDim());
		json.put("intermediate_size", config.mlpHiddenDim());
		json.put("num_hidden_layers", config.depth());
		json.put(HEADS, config.numHeads());
		json.put("hidden_act", gated ? "silu" : "gelu");
		json.put("attention_dropout", 0.0);
		json.put("initializer_range", 0.02);
		json.put("layer_norm_eps", ConfigJson.decimal(config.layerNormEps()));
		json.put("rope_theta", config.rope().base());
		json.put("image_size", config.imageSize());
		json.put("num_channels", 3);
		json.put("query_bias", config.qkvBias());
		json.put("key_bias", config.qkvBias() && !config.maskedKeyBias());
		json.put("value_bias", config.qkvBias());
		json.put("proj_bias", true);
		json.put("mlp_bias", true);
		// Only LayerScale's initial value; the trained scales are weights.
		json.put("layerscale_value", 1.0);
		json.put("drop_path_rate", 0.0);
		json.put("use_gated_mlp", gated);
		json.put("num_register_tokens", config.numRegisters());
		// Training-time position augmentations, off at inference, as the hub configs.
		json.putNull("pos_embed_shift");
		json.putNull("pos_embed_jitter");
		json.put("pos_embed_rescale", 2.0);
		json.put("torch_dtype", dtype.torchName());
		return json;
	}

}
