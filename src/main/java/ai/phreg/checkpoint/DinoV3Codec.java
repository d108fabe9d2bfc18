package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.RotaryEmbedding;
import ai.phreg.model.ViTConfig;

/**
 * facebookresearch/dinov3 checkpoints ({@code dinov3_vit*16_pretrain_*.pth} as
 * safetensors): no position embedding (RoPE on the patch tokens only), storage tokens
 * after the class token (phreg's registers), a fused qkv whose stored key bias is masked
 * out by the {@code bias_mask} buffer, an MLP ({@code fc1}/{@code fc2}) or a SwiGLU
 * ({@code w1}/{@code w2}/{@code w3}). The head width is read from the stored RoPE periods
 * ({@code head_dim / 4} of them), so no config is needed for the head count.
 */
final class DinoV3Codec extends ReadOnlyCodec {

	private static final KeyRenames SWIGLU_RENAMES = new KeyRenames().rename("reg_token", "storage_tokens")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc1_g\\.(\\w+)", "$1.w1.$2")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc1_x\\.(\\w+)", "$1.w2.$2")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc2\\.(\\w+)", "$1.w3.$2")
		.rename("(.+)", "$1");

	/** The plain MLP keeps timm's {@code fc1}/{@code fc2} names. */
	private static final KeyRenames MLP_RENAMES = new KeyRenames().rename("reg_token", "storage_tokens")
		.rename("(.+)", "$1");

	/** Relative difference allowed between stored and computed periods: bfloat16's. */
	private static final double PERIOD_TOLERANCE = 0x1p-8;

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.DINOV3;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("cls_token") && keys.contains("rope_embed.periods")
				&& keys.contains("blocks.0.attn.qkv.weight");
	}

	@Override
	String signature() {
		return "cls_token, rope_embed.periods and blocks.0.attn.qkv.weight";
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		DinoV3Family.carryMaskToken(ledger, "mask_token");
	}

	@Override
	String notWritten() {
		return "writing the original DINOv3 layout is not supported yet: its storage_tokens would hold the "
				+ "registers, but its masked key bias and rope_embed buffers have no writer";
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options) throws IOException {
		int dim = (int) ledger.take("cls_token", 3).shape()[2];
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		int registers = ledger.has("storage_tokens") ? (int) ledger.take("storage_tokens", 3).shape()[1] : 0;
		TensorSource storedPeriods = ledger.take("rope_embed.periods", 1);
		long periods = storedPeriods.shape()[0];
		if (periods < 1 || dim % (4 * periods) != 0) {
			throw new InvalidCheckpointException("rope_embed.periods of " + ledger.location() + " has " + periods
					+ " entries, which fits no head width dividing the width " + dim);
		}
		int heads = (int) (dim / (4 * periods));
		if (sidecar.sets("pos_embed_rope_min_period") || sidecar.sets("pos_embed_rope_max_period")) {
			throw new InvalidCheckpointException("Config " + sidecar
					+ " sets RoPE min/max periods; phreg computes the periods from pos_embed_rope_base only");
		}
		RotaryEmbedding rope = RotaryEmbedding
			.dinoV3(sidecar.number("pos_embed_rope_base").orElse(DinoV3Family.ROPE_BASE));
		checkPeriods(ledger.location(), storedPeriods, rope, dim / heads);
		boolean swiglu = ledger.has("blocks.0.mlp.w1.weight");
		int hidden = (int) ledger.take(swiglu ? "blocks.0.mlp.w1.weight" : "blocks.0.mlp.fc1.weight", 2).shape()[0];
		return ViTConfig.builder()
			.setImageSize(sidecar.integer("img_size").orElse(DinoV3Family.IMAGE_SIZE))
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(heads)
			.setMlpHiddenDim(hidden)
			.optFeedForward(swiglu ? FeedForward.SWIGLU : FeedForward.MLP)
			.optActivation(MlpActivation.GELU)
			.optQkvBias(ledger.has("blocks.0.attn.qkv.bias"))
			.optMaskedKeyBias(ledger.has("blocks.0.attn.qkv.bias_mask"))
			.optLayerScale(ledger.has("blocks.0.ls1.gamma"))
			.optLayerNormEps(DinoV3Family.LAYER_NORM_EPS)
			.optRegisters(registers, format().registerPlacement())
			.optPositionEmbedding(false)
			.optRope(rope)
			.build();
	}

	/**
	 * The model recomputes the periods from the base and the head width, as upstream
	 * does; stored periods that differ mean other RoPE frequencies (another base, a
	 * min/max period rule, a tampered buffer), which would load silently wrong. Compared
	 * to within bfloat16's precision, the narrowest dtype a checkpoint stores them in.
	 */
	private static void checkPeriods(Path location, TensorSource stored, RotaryEmbedding rope, int headDim)
			throws IOException {
		float[] actual = stored.read();
		double[] expected = rope.periods(headDim);
		for (int j = 0; j < actual.length; j++) {
			if (!(Math.abs(actual[j] - expected[j]) <= PERIOD_TOLERANCE * expected[j])) {
				throw new InvalidCheckpointException("rope_embed.periods of " + location + " holds "
						+ Arrays.toString(actual) + ", but pos_embed_rope_base " + rope.base() + " and head width "
						+ headDim + " give " + Arrays.toString(expected) + " (base^(4j/" + headDim + ")); period " + j
						+ " differs. phreg computes the periods from the base, so these weights "
						+ "would run with other RoPE frequencies than they were trained with");
			}
		}
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		agreement.integer("embed_dim", config.embedDim(), "width %d")
			.integer("depth", config.depth(), "%d blocks")
			.integer("num_heads", config.numHeads(), "%d heads (from the RoPE periods)")
			.integer("patch_size", config.patchSize(), "patch size %d")
			.integer("n_storage_tokens", config.numRegisters(), "%d storage tokens")
			.flag("mask_k_bias", config.maskedKeyBias(), "a key-bias mask")
			.flag("qkv_bias", config.qkvBias(), "query/key/value biases");
		SidecarConfig sidecar = agreement.sidecar();
		sidecar.text("ffn_layer")
			.ifPresent((layer) -> agreement.require(layer.equals("mlp") == !config.feedForward().gated(),
					"'ffn_layer' is '" + layer + "' but the weights have " + config.feedForward()));
		sidecar.number("ffn_ratio").ifPresent((ratio) -> {
			int nominal = (int) (config.embedDim() * ratio);
			int expected = config.feedForward().gated() ? FeedForward.swigluHidden(nominal) : nominal;
			agreement.require(expected == config.mlpHiddenDim(), "'ffn_ratio' is " + ratio
					+ " but the weights have a feed-forward layer " + config.mlpHiddenDim() + " wide");
		});
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		if (parameter.endsWith(".attn.qkv.bias")) {
			// The mask is the fixed [1, 0, 1] pattern, applied by the model.
			ledger.ignore((key) -> key.equals(parameter + "_mask"), "key-bias mask, applied by the model");
		}
		KeyRenames renames = config.feedForward().gated() ? SWIGLU_RENAMES : MLP_RENAMES;
		return ledger.take(renames.apply(parameter));
	}

}
