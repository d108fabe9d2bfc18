package ai.phreg.checkpoint;

import java.util.List;
import java.util.Set;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * timm {@code VisionTransformer} checkpoints (DeiT-III, AugReg,
 * {@code vit_*_reg4_dinov2}): key names match phreg's. The config's
 * {@code no_embed_class} (top level, or under {@code model_args} as timm's Hugging Face
 * hub configs have it) tells whether the position embedding covers the patches only;
 * without a config, exactly one row per patch marks such a model. timm resamples it to
 * size with antialiasing.
 * <p>
 * Otherwise timm's position embedding has a row for every prefix token, registers
 * included. phreg gives registers no position embedding, so such rows can only be read
 * when they are zero, as phreg writes them; trained non-zero rows are refused.
 * <p>
 * Writes timm checkpoints in its Hugging Face hub layout, a folder with
 * {@code model.safetensors} and {@code config.json}, which
 * {@code timm.create_model("local-dir:<folder>")} (or {@code hf-hub:} once uploaded)
 * builds and loads. Key names are phreg's own.
 * <p>
 * {@code model_args} spell out every architectural argument, so the registered
 * {@code architecture} only names the class; {@code dynamic_img_size} lets timm resample
 * the position embedding for other input sizes as phreg does. Unless
 * {@code no_embed_class}, timm adds {@code pos_embed} after prepending the class and
 * register tokens, so it needs a row for each: the register rows are written as zeros,
 * which is exactly phreg's "no position embedding for registers".
 * <p>
 * A packed SwiGLU (DINOv2 ViT-g) is written as timm's
 * {@code vit_giant_patch14_reg4_dinov2} does it: the registered architecture is that one,
 * whose defaults supply {@code mlp_layer=SwiGLUPacked} (a class, which a JSON config
 * cannot name), with {@code act_layer: silu} and {@code mlp_ratio = 2h/D}, the width of
 * the packed {@code fc1}.
 */
final class TimmCodec extends FamilyCodec {

	TimmCodec() {
		super(CheckpointLayout.HUGGING_FACE);
	}

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.TIMM;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("cls_token") && keys.contains("pos_embed") && keys.contains("blocks.0.attn.qkv.weight")
				&& !keys.contains("mask_token") && !keys.contains("register_tokens")
				&& !keys.contains("blocks.0.attn.q_bias");
	}

	@Override
	String signature() {
		return "cls_token, pos_embed, blocks.0.attn.qkv.weight without mask_token";
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		int dim = (int) ledger.take("cls_token", 3).shape()[2];
		String heads = setting(sidecar, "num_heads");
		long rows = ledger.take("pos_embed", 3).shape()[1];
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		int registers = ledger.has("reg_token") ? (int) ledger.take("reg_token", 3).shape()[1] : 0;
		boolean patchesOnly = sidecar.bool(setting(sidecar, "no_embed_class"))
			.orElseGet(() -> TimmLayout.isSquare(rows));
		int grid = squareSide(patchesOnly ? rows : rows - 1 - registers, "pos_embed");
		// SwiGLUPacked (vit_giant_patch14_reg4_dinov2): fc1 packs gate and value, so fc2
		// reads half of what fc1 writes.
		long fc1Rows = ledger.take("blocks.0.mlp.fc1.weight", 2).shape()[0];
		int hidden = (int) ledger.take("blocks.0.mlp.fc2.weight", 2).shape()[1];
		boolean packedSwiGlu = fc1Rows == 2L * hidden;
		boolean quickGelu = sidecar.text(setting(sidecar, "act_layer"))
			.map((act) -> act.toLowerCase().contains("quick"))
			.orElse(false);
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(HeadCount.resolve(sidecar.integer(heads), heads, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim(hidden)
			.optFeedForward(packedSwiGlu ? FeedForward.SWIGLU_PACKED : FeedForward.MLP)
			.optQkvBias(ledger.has("blocks.0.attn.qkv.bias"))
			.optPatchBias(ledger.has("patch_embed.proj.bias"))
			.optLayerScale(ledger.has("blocks.0.ls1.gamma"))
			.optPreNorm(ledger.has("norm_pre.weight"))
			.optActivation(quickGelu ? MlpActivation.QUICK_GELU : MlpActivation.GELU)
			.optRegisters(registers, format().registerPlacement())
			.optClassTokenPositioned(!patchesOnly)
			.optPositionResampling(PositionResampling.BICUBIC_ANTIALIAS)
			.build();
	}

	private static String setting(SidecarConfig sidecar, String key) {
		return TimmLayout.setting(sidecar, key);
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		SidecarConfig sidecar = agreement.sidecar();
		int registers = config.numRegisters();
		agreement.modelType("timm_wrapper")
			.integer(setting(sidecar, "embed_dim"), config.embedDim(), "width %d")
			.integer(setting(sidecar, "depth"), config.depth(), "%d blocks")
			.integer(setting(sidecar, "patch_size"), config.patchSize(), "patch size %d")
			.integer(setting(sidecar, "reg_tokens"), registers, "%d register tokens")
			.mlpRatio(setting(sidecar, "mlp_ratio"), config)
			.flag(setting(sidecar, "qkv_bias"), config.qkvBias(), "query/key/value biases");
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		TensorSource source = ledger.take(parameter);
		boolean registerRows = parameter.equals("pos_embed") && config.classTokenPositioned()
				&& config.numRegisters() > 0;
		return registerRows ? TimmLayout.withoutRegisterRows(source, 1, config.numRegisters()) : source;
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.ignore((key) -> key.startsWith("head.") || key.startsWith("fc_norm."),
				"classification head, not part of the dense backbone");
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		boolean packed = config.feedForward() == FeedForward.SWIGLU_PACKED;
		return new LayoutProblems()
			.require(config.feedForward() == FeedForward.MLP || packed,
					"timm's VisionTransformer is written with an MLP or a packed SwiGLU (SwiGLUPacked), this model has "
							+ config.feedForward())
			.require(!packed || (int) (config.embedDim() * packedRatio(config)) == 2 * config.mlpHiddenDim(),
					"timm builds SwiGLUPacked's fc1 int(width * mlp_ratio) wide, which no mlp_ratio makes "
							+ 2 * config.mlpHiddenDim())
			.require(config.patchBias() != config.preNorm(),
					"timm's patch embedding has a bias exactly when there is no pre-norm, this model has "
							+ (config.patchBias() ? "both" : "neither"))
			.require(config.layerNormEps() == 1e-6f,
					"timm's VisionTransformer uses LayerNorm eps 1e-6, this model " + config.layerNormEps())
			.require(config.projectionDim() == 0,
					"timm's VisionTransformer has no output projection, this model has one (CLIP's proj)")
			.requireMlpRatio(config)
			.list();
	}

	/** SwiGLUPacked's {@code mlp_ratio}: its {@code fc1} packs gate and value. */
	private static double packedRatio(ViTConfig config) {
		return 2.0 * config.mlpHiddenDim() / config.embedDim();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		int registers = config.numRegisters();
		if (!parameter.equals("pos_embed") || !config.classTokenPositioned() || registers == 0) {
			sink.add(parameter, shape, values);
			return;
		}
		// [1, 1+N, D] -> [1, 1+R+N, D]: zero rows for the registers after the class row.
		TimmLayout.addWithZeroRegisterRows(parameter, shape, values, 1, registers, sink);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		boolean packed = config.feedForward() == FeedForward.SWIGLU_PACKED;
		ObjectNode json = TimmLayout.hubConfig(architecture(config), "token", config, normalization);
		ObjectNode args = (ObjectNode) json.get("model_args");
		if (packed) {
			args.put("mlp_ratio", packedRatio(config));
		}
		else {
			args.set("mlp_ratio", ConfigJson.mlpRatio(config));
		}
		args.put("qkv_bias", config.qkvBias());
		args.put("class_token", true);
		args.put("reg_tokens", config.numRegisters());
		args.put("no_embed_class", !config.classTokenPositioned());
		args.put("pre_norm", config.preNorm());
		if (config.layerScale()) {
			// Only LayerScale's initial value; the trained scales are weights.
			args.put("init_values", 1e-5);
		}
		else if (packed) {
			// The giant architecture's default would add LayerScale.
			args.putNull("init_values");
		}
		args.put("act_layer",
				packed ? "silu" : (config.activation() == MlpActivation.QUICK_GELU) ? "quick_gelu" : "gelu");
		args.put("global_pool", "token");
		args.put("dynamic_img_size", true);
		return json;
	}

	/**
	 * timm's name for a ViT of this shape, as its model registry spells them: the size
	 * from the width ({@code vit_small_patch14_reg4_dinov2},
	 * {@code vit_base_patch16_224}, {@code vit_large_patch14_clip_224});
	 * {@code model_args} carry the exact shape whatever the name.
	 */
	static String architecture(ViTConfig config) {
		StringBuilder name = new StringBuilder("vit_").append(sizeName(config.embedDim()))
			.append("_patch")
			.append(config.patchSize());
		if (config.numRegisters() > 0) {
			name.append("_reg").append(config.numRegisters());
		}
		if (config.preNorm()) {
			name.append("_clip");
		}
		boolean dinoV2 = config.layerScale() && config.patchSize() == 14 && !config.preNorm();
		return name.append(dinoV2 ? "_dinov2" : "_" + config.imageSize()).toString();
	}

	/** timm's size names by width; DINOv2's giant is wider than the original ViT-g. */
	private static String sizeName(int width) {
		return switch (width) {
			case 192 -> "tiny";
			case 384 -> "small";
			case 768 -> "base";
			case 1024 -> "large";
			case 1280 -> "huge";
			case 1408, 1536 -> "giant";
			case 1664 -> "gigantic";
			default -> "width" + width;
		};
	}

}
