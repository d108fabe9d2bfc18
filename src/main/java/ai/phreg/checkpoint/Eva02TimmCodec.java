package ai.phreg.checkpoint;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.Pooling;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.RotaryEmbedding;
import ai.phreg.model.ViTConfig;

/**
 * timm {@code Eva} checkpoints of the EVA-02 recipe: a position embedding with a class
 * row plus RoPE on the patch tokens (interleaved pairs, coordinates scaled to
 * {@code ref_feat_shape}), {@code q_bias}/{@code v_bias} without a key bias, SwiGLU with
 * an inner LayerNorm ({@code fc1_g}/{@code fc1_x}/{@code norm}/{@code fc2}) or packed
 * ({@code fc1}/{@code fc2}), no final norm and {@code fc_norm} over the mean patch token.
 * Attention comes fused ({@code qkv.weight} with {@code q_bias}/{@code v_bias}) or as
 * separate {@code q_proj}/{@code k_proj}/{@code v_proj}.
 */
final class Eva02TimmCodec extends ReadOnlyCodec {

	@Override
	String notWritten() {
		return "writing timm Eva (EVA-02) checkpoints is not supported yet: the student's registers would go in "
				+ "timm's reg_token (num_reg_tokens), whose position-embedding and RoPE handling phreg has not "
				+ "been checked against";
	}

	private static final Pattern QKV = Pattern.compile("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)");

	/** timm's EVA-02 defaults, used when no config says otherwise. */
	private static final double ROPE_TEMPERATURE = 10000;

	private static final int REFERENCE_GRID = 16;

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.EVA02_TIMM;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("cls_token") && keys.contains("pos_embed")
				&& (keys.contains("blocks.0.attn.q_bias") || keys.contains("blocks.0.attn.q_proj.weight"));
	}

	@Override
	String signature() {
		return "cls_token, pos_embed and blocks.0.attn.q_bias or blocks.0.attn.q_proj.weight";
	}

	@Override
	Normalization defaultNormalization() {
		return Normalization.CLIP;
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		int dim = (int) ledger.take("cls_token", 3).shape()[2];
		long rows = ledger.take("pos_embed", 3).shape()[1];
		if (sidecar.bool("no_embed_class").orElse(false) || !sidecar.bool("use_rot_pos_emb").orElse(true)) {
			throw new InvalidCheckpointException("Config " + sidecar
					+ ": only EVA-02's layout (a class row in pos_embed, rotary embedding) is supported");
		}
		int grid = squareSide(rows - 1, "pos_embed");
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		FeedForward feedForward = ledger.has("blocks.0.mlp.fc1_g.weight")
				? (ledger.has("blocks.0.mlp.norm.weight") ? FeedForward.SWIGLU_NORM : FeedForward.SWIGLU)
				: FeedForward.SWIGLU_PACKED;
		int hidden = (int) ledger.take("blocks.0.mlp.fc2.weight", 2).shape()[1];
		float[] reference = sidecar.floats("ref_feat_shape").orElse(new float[] { REFERENCE_GRID, REFERENCE_GRID });
		if (reference.length != 2 || reference[0] != reference[1] || reference[0] != (int) reference[0]) {
			throw new InvalidCheckpointException("Config " + sidecar + ": ref_feat_shape " + Arrays.toString(reference)
					+ " is not a square grid, which phreg's RoPE needs");
		}
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(HeadCount.resolve(sidecar.integer("num_heads"), "num_heads", dim, sidecar, options,
					ledger.location()))
			.setMlpHiddenDim(hidden)
			.optFeedForward(feedForward)
			.optQkvBias(ledger.has("blocks.0.attn.q_bias") || ledger.has("blocks.0.attn.q_proj.bias"))
			.optMaskedKeyBias(true)
			.optLayerScale(ledger.has("blocks.0.gamma_1"))
			.optPositionResampling(PositionResampling.BICUBIC_ANTIALIAS)
			.optRope(RotaryEmbedding.eva02(sidecar.number("rope_temperature").orElse(ROPE_TEMPERATURE),
					(int) reference[0]))
			.optFinalNorm(ledger.has("norm.weight"))
			.optPooling(ledger.has("fc_norm.weight") ? Pooling.MEAN_PATCHES : Pooling.CLASS_TOKEN)
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		agreement.integer("embed_dim", config.embedDim(), "width %d")
			.integer("depth", config.depth(), "%d blocks")
			.integer("patch_size", config.patchSize(), "patch size %d")
			.integer("img_size", config.imageSize(), "a position embedding for image size %d")
			.mlpRatio("mlp_ratio", config)
			.flag("qkv_bias", config.qkvBias(), "query/value biases");
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		Matcher qkv = QKV.matcher(parameter);
		if (!qkv.matches()) {
			return ledger.take(parameter);
		}
		String attn = "blocks." + qkv.group(1) + ".attn.";
		boolean fused = ledger.has(attn + "qkv.weight");
		if (qkv.group(2).equals("weight")) {
			return fused ? ledger.take(attn + "qkv.weight")
					: TensorSource.concatRows(List.of(ledger.take(attn + "q_proj.weight"),
							ledger.take(attn + "k_proj.weight"), ledger.take(attn + "v_proj.weight")));
		}
		TensorSource query = ledger.take(attn + (fused ? "q_bias" : "q_proj.bias"));
		TensorSource value = ledger.take(attn + (fused ? "v_bias" : "v_proj.bias"));
		return TensorSource
			.concatRows(List.of(query, TensorSource.zeros(attn + "k_bias (none: zeros)", query.shape()), value));
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.ignore((key) -> key.startsWith("head."), "classification head, not part of the dense backbone");
		ledger.ignore((key) -> key.startsWith("rope."), "RoPE buffers, recomputed from the config");
	}

}
