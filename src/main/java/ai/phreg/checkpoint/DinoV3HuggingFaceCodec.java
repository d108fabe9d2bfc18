package ai.phreg.checkpoint;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.RotaryEmbedding;
import ai.phreg.model.ViTConfig;

/**
 * Hugging Face {@code DINOv3ViTModel} ({@code model.safetensors} and {@code config.json},
 * {@code model_type: dinov3_vit}): separate {@code q_proj}/{@code k_proj}/{@code v_proj}
 * fused into qkv, the absent key bias ({@code key_bias: false}) read as zeros and kept
 * masked, {@code register_tokens} as registers, {@code up_proj}/{@code down_proj} or
 * {@code gate_proj}/{@code up_proj}/{@code down_proj} feed-forward layers. RoPE uses
 * {@code rope_theta}.
 */
final class DinoV3HuggingFaceCodec extends DinoV3Family {

	private static final String HEADS = "num_attention_heads";

	private static final Pattern QKV = Pattern.compile("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)");

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
	String maskTokenKey() {
		return "embeddings.mask_token";
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
			.setImageSize(sidecar.integer("image_size").orElse(IMAGE_SIZE))
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
			.optLayerNormEps(sidecar.number("layer_norm_eps", 0, 1).orElse((double) LAYER_NORM_EPS).floatValue())
			.optRegisters(registers, format().registerPlacement())
			.optPositionEmbedding(false)
			.optRope(RotaryEmbedding.dinoV3(sidecar.number("rope_theta").orElse(ROPE_BASE)))
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

}
