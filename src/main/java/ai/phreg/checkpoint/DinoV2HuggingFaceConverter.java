package ai.phreg.checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;

/**
 * Hugging Face {@code Dinov2Model} / {@code Dinov2WithRegistersModel}
 * ({@code model.safetensors} and {@code config.json}): separate query/key/value
 * projections are fused into qkv. transformers resamples plain models to size without
 * antialiasing, register models with it.
 */
final class DinoV2HuggingFaceConverter extends FamilyConverter {

	/**
	 * phreg parameter names to Hugging Face keys, except the fused qkv projections (see
	 * {@link #qkvKeys}); also used to write Hugging Face checkpoints.
	 */
	static final KeyRenames RENAMES = new KeyRenames().rename("cls_token", "embeddings.cls_token")
		.rename("reg_token", "embeddings.register_tokens")
		.rename("pos_embed", "embeddings.position_embeddings")
		.rename("patch_embed\\.proj\\.(\\w+)", "embeddings.patch_embeddings.projection.$1")
		.rename("blocks\\.(\\d+)\\.attn\\.proj\\.(\\w+)", "encoder.layer.$1.attention.output.dense.$2")
		.rename("blocks\\.(\\d+)\\.ls(\\d)\\.gamma", "encoder.layer.$1.layer_scale$2.lambda1")
		.rename("blocks\\.(\\d+)\\.(norm\\d|mlp\\.fc\\d)\\.(\\w+)", "encoder.layer.$1.$2.$3")
		.rename("norm\\.(\\w+)", "layernorm.$1");

	private static final String HEADS = "num_attention_heads";

	private static final Pattern QKV = Pattern.compile("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)");

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
		if (sidecar.bool("use_swiglu_ffn").orElse(false)) {
			throw new InvalidCheckpointException("SwiGLU feed-forward layers (DINOv2 ViT-g) are not supported yet");
		}
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("encoder.layer."))
			.setNumHeads(heads(sidecar.integer(HEADS), HEADS, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim((int) ledger.take("encoder.layer.0.mlp.fc1.weight", 2).shape()[0])
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
	static List<String> qkvKeys(String parameter) {
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
		return ledger.take(RENAMES.apply(parameter));
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.carry("embeddings.mask_token", CarriedTensors.MASK_TOKEN,
				"mask token of masked-image pretraining, unused at inference (kept for exports)");
	}

}
