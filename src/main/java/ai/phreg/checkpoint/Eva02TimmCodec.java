package ai.phreg.checkpoint;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.Pooling;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.RotaryEmbedding;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * timm {@code Eva} checkpoints of the EVA-02 recipe: a position embedding with a class
 * row plus RoPE on the patch tokens (interleaved pairs, coordinates scaled to
 * {@code ref_feat_shape}), {@code q_bias}/{@code v_bias} without a key bias, SwiGLU with
 * an inner LayerNorm ({@code fc1_g}/{@code fc1_x}/{@code norm}/{@code fc2}) or packed
 * ({@code fc1}/{@code fc2}), no final norm and {@code fc_norm} over the mean patch token.
 * Attention comes fused ({@code qkv.weight} with {@code q_bias}/{@code v_bias}) or as
 * separate {@code q_proj}/{@code k_proj}/{@code v_proj}. Registers are timm's
 * {@code reg_token} ({@code num_reg_tokens}), after the class token; timm leaves every
 * prefix token out of RoPE and the mean, and gives them position rows unless
 * {@code no_embed_class}, which must be zero for registers.
 * <p>
 * Writes timm's Hugging Face hub layout, a folder with {@code model.safetensors} (fused
 * attention) and {@code config.json} whose {@code model_args} spell out every setting for
 * {@code timm.create_model("local-dir:<folder>")}: a student's registers in
 * {@code reg_token}, with zero position rows after the class row (timm adds
 * {@code pos_embed} after prepending class and registers), which is exactly phreg's "no
 * position embedding for registers".
 */
final class Eva02TimmCodec extends FamilyCodec {

	private static final Pattern QKV = Pattern.compile("blocks\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)");

	/** phreg's LayerScale names to Eva's ({@code EvaBlock.gamma_1}/{@code gamma_2}). */
	private static final KeyRenames RENAMES = new KeyRenames()
		.rename("(blocks\\.\\d+)\\.ls(\\d)\\.gamma", "$1.gamma_$2")
		.rename("(.+)", "$1");

	/** timm's EVA-02 defaults, used when no config says otherwise. */
	private static final double ROPE_TEMPERATURE = 10000;

	private static final int REFERENCE_GRID = 16;

	/** The SwiGLU width ratio of every EVA-02 in timm's registry. */
	private static final double EVA02_MLP_RATIO = 4 * 2 / 3.0;

	Eva02TimmCodec() {
		super(CheckpointLayout.HUGGING_FACE);
	}

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
		if (sidecar.bool(TimmLayout.setting(sidecar, "no_embed_class")).orElse(false)
				|| !sidecar.bool(TimmLayout.setting(sidecar, "use_rot_pos_emb")).orElse(true)) {
			throw new InvalidCheckpointException("Config " + sidecar
					+ ": only EVA-02's layout (a class row in pos_embed, rotary embedding) is supported");
		}
		int registers = ledger.has("reg_token") ? (int) ledger.take("reg_token", 3).shape()[1] : 0;
		int grid = squareSide(rows - 1 - registers, "pos_embed");
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		FeedForward feedForward = ledger.has("blocks.0.mlp.fc1_g.weight")
				? (ledger.has("blocks.0.mlp.norm.weight") ? FeedForward.SWIGLU_NORM : FeedForward.SWIGLU)
				: FeedForward.SWIGLU_PACKED;
		int hidden = (int) ledger.take("blocks.0.mlp.fc2.weight", 2).shape()[1];
		float[] reference = sidecar.floats(TimmLayout.setting(sidecar, "ref_feat_shape"))
			.orElse(new float[] { REFERENCE_GRID, REFERENCE_GRID });
		if (reference.length != 2 || reference[0] != reference[1] || reference[0] != (int) reference[0]) {
			throw new InvalidCheckpointException("Config " + sidecar + ": ref_feat_shape " + Arrays.toString(reference)
					+ " is not a square grid, which phreg's RoPE needs");
		}
		String heads = TimmLayout.setting(sidecar, "num_heads");
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(HeadCount.resolve(sidecar.integer(heads), heads, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim(hidden)
			.optFeedForward(feedForward)
			.optQkvBias(ledger.has("blocks.0.attn.q_bias") || ledger.has("blocks.0.attn.q_proj.bias"))
			.optMaskedKeyBias(true)
			.optLayerScale(ledger.has("blocks.0.gamma_1"))
			.optRegisters(registers, format().registerPlacement())
			.optPositionResampling(PositionResampling.BICUBIC_ANTIALIAS)
			.optRope(RotaryEmbedding.eva02(
					sidecar.number(TimmLayout.setting(sidecar, "rope_temperature")).orElse(ROPE_TEMPERATURE),
					(int) reference[0]))
			.optFinalNorm(ledger.has("norm.weight"))
			.optPooling(ledger.has("fc_norm.weight") ? Pooling.MEAN_PATCHES : Pooling.CLASS_TOKEN)
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		SidecarConfig sidecar = agreement.sidecar();
		agreement.integer(TimmLayout.setting(sidecar, "embed_dim"), config.embedDim(), "width %d")
			.integer(TimmLayout.setting(sidecar, "depth"), config.depth(), "%d blocks")
			.integer(TimmLayout.setting(sidecar, "patch_size"), config.patchSize(), "patch size %d")
			.integer(TimmLayout.setting(sidecar, "img_size"), config.imageSize(),
					"a position embedding for image size %d")
			.integer(TimmLayout.setting(sidecar, "num_reg_tokens"), config.numRegisters(), "%d register tokens")
			.mlpRatio(TimmLayout.setting(sidecar, "mlp_ratio"), config)
			.flag(TimmLayout.setting(sidecar, "qkv_bias"), config.qkvBias(), "query/value biases");
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		if (parameter.equals("pos_embed") && config.numRegisters() > 0) {
			return TimmLayout.withoutRegisterRows(ledger.take(parameter), 1, config.numRegisters());
		}
		Matcher qkv = QKV.matcher(parameter);
		if (!qkv.matches()) {
			return ledger.take(RENAMES.apply(parameter));
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

	@Override
	List<String> unsupported(ViTConfig config) {
		RotaryEmbedding rope = config.rope();
		FeedForward feedForward = config.feedForward();
		return new LayoutProblems()
			.require(rope != null && rope.style() == RotaryEmbedding.Style.EVA02,
					"EVA-02 rotates the patch tokens with timm's interleaved RoPE, this model has " + rope)
			.require(config.classToken() && config.positionEmbedding() && config.classTokenPositioned(),
					"timm's Eva is written with a class token and a position embedding with a class row")
			.require(config.qkvBias() && config.maskedKeyBias(),
					"timm's EVA-02 is written (and recognized) with a query and value bias but no key bias, this "
							+ "model has " + (config.qkvBias() ? "a key bias" : "no biases"))
			.require(feedForward == FeedForward.SWIGLU_NORM || feedForward == FeedForward.SWIGLU_PACKED,
					"timm's Eva is written with a SwiGLU with inner LayerNorm (scale_mlp) or a packed one (GluMlp), "
							+ "this model has " + feedForward)
			.require((int) (config.embedDim() * mlpRatio(config).doubleValue()) == config.mlpHiddenDim(),
					"SwiGLU width " + config.mlpHiddenDim() + " is not int(" + config.embedDim()
							+ " * mlp_ratio) for any ratio")
			.require(config.patchBias() && !config.preNorm() && config.projectionDim() == 0,
					"timm's Eva is written with a patch bias, no pre-norm and no projection")
			.require(config.pooling() != Pooling.MAP, "phreg writes timm's Eva without a MAP head")
			.require(config.layerNormEps() == 1e-6f,
					"timm's Eva uses LayerNorm eps 1e-6, this model " + config.layerNormEps())
			.list();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		if (parameter.equals("pos_embed") && config.numRegisters() > 0) {
			// [1, 1+N, D] -> [1, 1+R+N, D]: zero rows for the registers after the class
			// row.
			TimmLayout.addWithZeroRegisterRows(parameter, shape, values, 1, config.numRegisters(), sink);
			return;
		}
		Matcher qkv = QKV.matcher(parameter);
		if (!qkv.matches() || qkv.group(2).equals("weight")) {
			sink.add(RENAMES.apply(parameter), shape, values);
			return;
		}
		// [q; k; v] biases: the key third is masked (timm's k_bias is a zero buffer).
		String attn = "blocks." + qkv.group(1) + ".attn.";
		int length = values.length / 3;
		long[] part = { length };
		sink.add(attn + "q_bias", part, Arrays.copyOfRange(values, 0, length));
		sink.add(attn + "v_bias", part, Arrays.copyOfRange(values, 2 * length, 3 * length));
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		boolean meanPooled = config.pooling() == Pooling.MEAN_PATCHES;
		String pool = meanPooled ? "avg" : "token";
		ObjectNode json = TimmLayout.hubConfig(architecture(config), pool, config, normalization);
		ObjectNode args = (ObjectNode) json.get("model_args");
		args.put("qkv_bias", config.qkvBias());
		args.put("qkv_fused", true);
		args.set("mlp_ratio", mlpRatio(config));
		args.put("swiglu_mlp", true);
		// The inner LayerNorm selects separate gate and value layers, its absence the
		// packed GluMlp.
		args.put("scale_mlp", config.feedForward() == FeedForward.SWIGLU_NORM);
		args.put("swiglu_align_to", 0);
		args.put("class_token", true);
		args.put("num_reg_tokens", config.numRegisters());
		args.put("no_embed_class", false);
		if (config.layerScale()) {
			// Only LayerScale's initial value; the trained scales are weights.
			args.put("init_values", 1e-5);
		}
		else {
			args.putNull("init_values");
		}
		args.put("use_rot_pos_emb", true);
		args.put("rope_type", "cat");
		args.put("rope_temperature", config.rope().base());
		args.putArray("ref_feat_shape").add(config.rope().referenceGrid()).add(config.rope().referenceGrid());
		args.put("rope_grid_offset", 0.0);
		args.put("rope_grid_indexing", "ij");
		args.put("rope_rotate_half", false);
		args.put("global_pool", pool);
		args.put("use_fc_norm", meanPooled);
		args.put("use_post_transformer_norm", config.finalNorm());
		args.put("dynamic_img_size", true);
		return json;
	}

	/**
	 * The {@code mlp_ratio} timm builds the SwiGLU width from ({@code int(width *
	 * mlp_ratio)}): EVA-02's own {@code 4 * 2 / 3} when it gives the width, else the
	 * width's ratio.
	 */
	private static JsonNode mlpRatio(ViTConfig config) {
		return ((int) (config.embedDim() * EVA02_MLP_RATIO) == config.mlpHiddenDim())
				? JsonNodeFactory.instance.numberNode(EVA02_MLP_RATIO) : ConfigJson.mlpRatio(config);
	}

	/**
	 * timm's registered EVA-02 of this width ({@code eva02_base_patch14_224}, ...), so
	 * that timm finds the architecture; {@code model_args} override every setting of its
	 * registry entry.
	 */
	private static String architecture(ViTConfig config) {
		return switch (config.embedDim()) {
			case 192 -> "eva02_tiny_patch14_224";
			case 384 -> "eva02_small_patch14_224";
			case 1024 -> "eva02_large_patch14_224";
			default -> "eva02_base_patch14_224";
		};
	}

}
