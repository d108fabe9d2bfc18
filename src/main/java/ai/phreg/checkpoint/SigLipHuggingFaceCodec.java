package ai.phreg.checkpoint;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.phreg.image.Normalization;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;

/**
 * Hugging Face {@code SiglipVisionModel} (and the vision half of {@code SiglipModel},
 * whose text tower is ignored): {@code vision_model.*} keys, separate query/key/value
 * fused into qkv, the position embedding stored {@code [N, D]}, the pooling head's
 * {@code nn.MultiheadAttention} packing query, key and value in {@code in_proj_weight}.
 * transformers resamples the position embedding without antialiasing
 * ({@code interpolate_pos_encoding}).
 */
final class SigLipHuggingFaceCodec extends ReadOnlyCodec {

	@Override
	String notWritten() {
		return "transformers' SiglipVisionModel has no register tokens (its config has no num_register_tokens "
				+ "and its embeddings only patches), so a PH-Reg student cannot be written in its layout";
	}

	private static final String PREFIX = "vision_model.";

	private static final String HEAD = PREFIX + "head.";

	private static final String HEADS = "num_attention_heads";

	private static final Pattern QKV = Pattern.compile("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)");

	private static final KeyRenames RENAMES = new KeyRenames()
		.rename("patch_embed\\.proj\\.(\\w+)", PREFIX + "embeddings.patch_embedding.$1")
		.rename("blocks\\.(\\d+)\\.norm(\\d)\\.(\\w+)", PREFIX + "encoder.layers.$1.layer_norm$2.$3")
		.rename("blocks\\.(\\d+)\\.attn\\.proj\\.(\\w+)", PREFIX + "encoder.layers.$1.self_attn.out_proj.$2")
		.rename("blocks\\.(\\d+)\\.mlp\\.(fc\\d)\\.(\\w+)", PREFIX + "encoder.layers.$1.mlp.$2.$3")
		.rename("norm\\.(\\w+)", PREFIX + "post_layernorm.$1")
		.rename("attn_pool\\.latent", HEAD + "probe")
		.rename("attn_pool\\.proj\\.(\\w+)", HEAD + "attention.out_proj.$1")
		.rename("attn_pool\\.norm\\.(\\w+)", HEAD + "layernorm.$1")
		.rename("attn_pool\\.mlp\\.(fc\\d)\\.(\\w+)", HEAD + "mlp.$1.$2");

	@Override
	Normalization defaultNormalization() {
		return SigLipFamily.NORMALIZATION;
	}

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.SIGLIP_HF;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains(PREFIX + "embeddings.position_embedding.weight")
				&& keys.contains(PREFIX + "encoder.layers.0.self_attn.q_proj.weight");
	}

	@Override
	String signature() {
		return PREFIX + "embeddings.position_embedding.weight and " + PREFIX
				+ "encoder.layers.0.self_attn.q_proj.weight";
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		long[] pos = ledger.take(PREFIX + "embeddings.position_embedding.weight", 2).shape();
		int dim = (int) pos[1];
		long[] patch = ledger.take(PREFIX + "embeddings.patch_embedding.weight", 4).shape();
		if (!ledger.has(HEAD + "probe") || !sidecar.bool("vision_use_head").orElse(true)) {
			throw new InvalidCheckpointException("SigLIP tower " + ledger.location()
					+ " has no attention-pooling head (vision_use_head); phreg supports towers with one");
		}
		String activation = sidecar.text("hidden_act").orElse("gelu_pytorch_tanh");
		MlpActivation mlpActivation = switch (activation) {
			case "gelu_pytorch_tanh", "gelu_new" -> MlpActivation.GELU_TANH;
			case "gelu" -> MlpActivation.GELU;
			default ->
				throw new InvalidCheckpointException("Unsupported hidden_act '" + activation + "' in " + sidecar);
		};
		return SigLipFamily
			.siglip(squareSide(pos[0], PREFIX + "embeddings.position_embedding.weight") * (int) patch[2],
					(int) patch[2], dim, mlpActivation, PositionResampling.BICUBIC)
			.setDepth(ledger.countIndexed(PREFIX + "encoder.layers."))
			.setNumHeads(HeadCount.resolve(sidecar.integer(HEADS), HEADS, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim((int) ledger.take(PREFIX + "encoder.layers.0.mlp.fc1.weight", 2).shape()[0])
			.optQkvBias(ledger.has(PREFIX + "encoder.layers.0.self_attn.q_proj.bias"))
			.optLayerNormEps(sidecar.number("layer_norm_eps", 0, 1).orElse(1e-6).floatValue())
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		agreement.modelType("siglip_vision_model", "siglip", "siglip2_vision_model")
			.integer("hidden_size", config.embedDim(), "width %d")
			.integer("num_hidden_layers", config.depth(), "%d blocks")
			.integer("patch_size", config.patchSize(), "patch size %d")
			.integer("image_size", config.imageSize(), "a position embedding for image size %d")
			.integer("intermediate_size", config.mlpHiddenDim(), "an MLP %d wide");
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		int dim = config.embedDim();
		Matcher qkv = QKV.matcher(parameter);
		if (qkv.matches()) {
			String attn = PREFIX + "encoder.layers." + qkv.group(1) + ".self_attn.";
			String kind = "." + qkv.group(2);
			return TensorSource.concatRows(List.of(ledger.take(attn + "q_proj" + kind),
					ledger.take(attn + "k_proj" + kind), ledger.take(attn + "v_proj" + kind)));
		}
		return switch (parameter) {
			case "pos_embed" -> ledger.take(PREFIX + "embeddings.position_embedding.weight")
				.reshaped(1, config.gridSize() * (long) config.gridSize(), dim);
			case "attn_pool.q.weight" -> TensorSource.rows(ledger.take(HEAD + "attention.in_proj_weight"), 0, dim);
			case "attn_pool.kv.weight" ->
				TensorSource.rows(ledger.take(HEAD + "attention.in_proj_weight"), dim, 3L * dim);
			case "attn_pool.q.bias" -> TensorSource.rows(ledger.take(HEAD + "attention.in_proj_bias"), 0, dim);
			case "attn_pool.kv.bias" -> TensorSource.rows(ledger.take(HEAD + "attention.in_proj_bias"), dim, 3L * dim);
			default -> ledger.take(RENAMES.apply(parameter));
		};
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.ignore((key) -> !key.startsWith(PREFIX),
				"text tower and logit scale of a whole SigLIP model, not part of the vision backbone");
	}

}
