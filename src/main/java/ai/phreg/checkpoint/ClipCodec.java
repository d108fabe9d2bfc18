package ai.phreg.checkpoint;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * The visual tower of OpenAI CLIP, OpenCLIP and DFN checkpoints, either a whole CLIP
 * model (keys under {@code visual.}, the text tower is ignored) or the visual module
 * alone. phreg's own CLIP students add {@code visual.register_tokens} {@code [R, W]},
 * placed after the patches.
 *
 * <p>
 * The activation is not visible in the weights: OpenAI's models use QuickGELU, most
 * OpenCLIP models exact GELU. The sidecar config decides ({@code quick_gelu} of
 * {@code open_clip_config.json}, false when absent as in OpenCLIP, or
 * {@code activation}); without a config, OpenAI's QuickGELU.
 * <p>
 * Writes the visual tower of a CLIP model with OpenAI/OpenCLIP key names under
 * {@code visual.}, in OpenCLIP's hub layout: a folder with
 * {@code open_clip_model.safetensors} and {@code open_clip_config.json}. Token embeddings
 * lose their batch axis as OpenAI stores them.
 * <p>
 * Registers are {@code visual.register_tokens} {@code [R, width]}, placed after the patch
 * tokens without position embedding (PH-Reg's CLIP students). Neither OpenAI CLIP nor
 * OpenCLIP has such a parameter, and the text tower is not part of the export, so the
 * config carries a {@code phreg} note saying so.
 */
final class ClipCodec extends FamilyCodec {

	/**
	 * phreg parameter names to OpenAI keys below the {@code visual.} prefix; also used to
	 * write CLIP checkpoints.
	 */
	private static final KeyRenames RENAMES = new KeyRenames().rename("cls_token", "class_embedding")
		.rename("reg_token", "register_tokens")
		.rename("pos_embed", "positional_embedding")
		.rename("patch_embed\\.proj\\.weight", "conv1.weight")
		.rename("norm_pre\\.(\\w+)", "ln_pre.$1")
		.rename("blocks\\.(\\d+)\\.norm(\\d)\\.(\\w+)", "transformer.resblocks.$1.ln_$2.$3")
		.rename("blocks\\.(\\d+)\\.attn\\.qkv\\.(\\w+)", "transformer.resblocks.$1.attn.in_proj_$2")
		.rename("blocks\\.(\\d+)\\.attn\\.proj\\.(\\w+)", "transformer.resblocks.$1.attn.out_proj.$2")
		.rename("blocks\\.(\\d+)\\.ls(\\d)\\.gamma", "transformer.resblocks.$1.ls_$2.gamma")
		.rename("blocks\\.(\\d+)\\.mlp\\.fc1\\.(\\w+)", "transformer.resblocks.$1.mlp.c_fc.$2")
		.rename("blocks\\.(\\d+)\\.mlp\\.fc2\\.(\\w+)", "transformer.resblocks.$1.mlp.c_proj.$2")
		.rename("norm\\.(\\w+)", "ln_post.$1")
		.rename("proj", "proj");

	ClipCodec() {
		super(CheckpointLayout.folder("open_clip_model.safetensors", "open_clip_config.json"));
	}

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.CLIP_OPENAI;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("visual.conv1.weight")
				|| (keys.contains("conv1.weight") && keys.contains("class_embedding"));
	}

	@Override
	String signature() {
		return "visual.conv1.weight (or conv1.weight with class_embedding)";
	}

	@Override
	Normalization defaultNormalization() {
		return Normalization.CLIP;
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		String prefix = prefix(ledger);
		int width = (int) ledger.take(prefix + "class_embedding", 1).shape()[0];
		long[] pos = ledger.take(prefix + "positional_embedding", 2).shape();
		int grid = squareSide(pos[0] - 1, prefix + "positional_embedding");
		long[] patch = ledger.take(prefix + "conv1.weight", 4).shape();
		int registers = ledger.has(prefix + "register_tokens")
				? (int) ledger.take(prefix + "register_tokens", 2).shape()[0] : 0;
		String blocks = prefix + "transformer.resblocks.";
		// OpenCLIP builds exact GELU unless its model_cfg sets quick_gelu.
		String quickGeluKey = sidecar.first("model_cfg.quick_gelu", "quick_gelu");
		boolean quickGelu = sidecar.has(quickGeluKey) ? sidecar.bool(quickGeluKey).orElseThrow()
				: sidecar.text("activation")
					.map((act) -> act.toLowerCase().contains("quick"))
					.orElse(!sidecar.has("model_cfg"));
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(width)
			.setDepth(ledger.countIndexed(blocks))
			.setNumHeads(heads(ledger, sidecar, options, width))
			.setMlpHiddenDim((int) ledger.take(blocks + "0.mlp.c_fc.weight", 2).shape()[0])
			.optPatchBias(false)
			.optPreNorm(true)
			.optLayerScale(ledger.has(blocks + "0.ls_1.gamma"))
			.optLayerNormEps(sidecar.number("layer_norm_eps", 0, 1).orElse(1e-5).floatValue())
			.optActivation(quickGelu ? MlpActivation.QUICK_GELU : MlpActivation.GELU)
			.optRegisters(registers, format().registerPlacement())
			.optPositionResampling(PositionResampling.BICUBIC)
			.optProjectionDim(ledger.has(prefix + "proj") ? (int) ledger.take(prefix + "proj", 2).shape()[1] : 0)
			.build();
	}

	/**
	 * OpenCLIP declares the width of a head, OpenAI's flat configs the count.
	 */
	private static int heads(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options, int width)
			throws InvalidCheckpointException {
		String headWidthKey = sidecar.first("model_cfg.vision_cfg.head_width", "head_width");
		Optional<Integer> headWidth = sidecar.integer(headWidthKey);
		if (headWidth.isPresent()) {
			if (headWidth.get() < 1 || width % headWidth.get() != 0) {
				throw new InvalidCheckpointException("Config " + sidecar + ": '" + headWidthKey + "' is "
						+ headWidth.get() + ", which does not split the width " + width + " of the weights evenly");
			}
			return HeadCount.resolve(Optional.of(width / headWidth.get()), headWidthKey, width, sidecar, options,
					ledger.location());
		}
		String headsKey = sidecar.first("vision_heads", "heads");
		// Named as the config's own layout would name it when it is missing.
		String shownKey = (sidecar.has(headsKey) || !sidecar.has("model_cfg")) ? headsKey : headWidthKey;
		return HeadCount.resolve(sidecar.integer(headsKey), shownKey, width, sidecar, options, ledger.location());
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		SidecarConfig sidecar = agreement.sidecar();
		agreement.modelType("clip", "clip_vision_model")
			.integer(sidecar.first("model_cfg.vision_cfg.width", "width %d"), config.embedDim(), "width %d")
			.integer(sidecar.first("model_cfg.vision_cfg.layers", "layers"), config.depth(), "%d blocks")
			.integer(sidecar.first("model_cfg.vision_cfg.patch_size", "patch_size"), config.patchSize(),
					"patch size %d")
			.integer(sidecar.first("model_cfg.vision_cfg.image_size", "image_resolution"), config.imageSize(),
					"a position embedding for image size %d")
			.integer(sidecar.first("model_cfg.embed_dim", "output_dim"), config.projectionDim(), "projection width %d")
			.mlpRatio("model_cfg.vision_cfg.mlp_ratio", config);
	}

	/**
	 * Whole CLIP models keep the image tower under {@code visual.}; a bare visual module
	 * has no prefix.
	 */
	private static String prefix(KeyLedger ledger) {
		return ledger.has("visual.conv1.weight") ? "visual." : "";
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		TensorSource source = ledger.take(prefix(ledger) + RENAMES.apply(parameter));
		long[] shape = source.shape();
		return switch (parameter) {
			// CLIP stores token embeddings without the batch axis: [W] and [T, W] become
			// [1, T, W].
			case "cls_token" -> source.reshaped(1, 1, shape[0]);
			case "reg_token", "pos_embed" -> source.reshaped(1, shape[0], shape[1]);
			default -> source;
		};
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		String prefix = prefix(ledger);
		if (!prefix.isEmpty()) {
			ledger.ignore((key) -> !key.startsWith(prefix), "text tower of a full CLIP checkpoint");
		}
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return new LayoutProblems()
			.require(!config.patchBias(), "CLIP's conv1 has no bias, this model's patch embedding has one")
			.require(config.preNorm(), "CLIP normalizes before the first block (ln_pre), this model does not")
			.require(config.classTokenPositioned(),
					"CLIP's positional embedding has a class-token row, this "
							+ "model's covers the patches only (timm no_embed_class)")
			.require(config.projectionDim() > 0, "CLIP's visual tower ends in proj, this model has none")
			.require(config.layerNormEps() == 1e-5f,
					"CLIP uses LayerNorm eps 1e-5, this model " + config.layerNormEps())
			.requireMlpRatio(config)
			.list();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		long[] stored = switch (parameter) {
			// [1, 1, W] -> [W]; [1, T, W] -> [T, W]
			case "cls_token" -> new long[] { shape[2] };
			case "reg_token", "pos_embed" -> new long[] { shape[1], shape[2] };
			default -> shape;
		};
		sink.add("visual." + RENAMES.apply(parameter), stored, values);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		ObjectNode json = ConfigJson.object();
		ObjectNode model = json.putObject("model_cfg");
		model.put("embed_dim", config.projectionDim());
		model.put("quick_gelu", config.activation() == MlpActivation.QUICK_GELU);
		ObjectNode vision = model.putObject("vision_cfg");
		vision.put("image_size", config.imageSize());
		vision.put("layers", config.depth());
		vision.put("width", config.embedDim());
		vision.put("patch_size", config.patchSize());
		vision.put("head_width", config.embedDim() / config.numHeads());
		vision.set("mlp_ratio", ConfigJson.mlpRatio(config));
		if (config.layerScale()) {
			// Only LayerScale's initial value; the trained scales are weights.
			vision.put("ls_init_value", 1e-5);
		}
		ObjectNode preprocess = json.putObject("preprocess_cfg");
		ConfigJson.decimals(preprocess.putArray("mean"), normalization.mean());
		ConfigJson.decimals(preprocess.putArray("std"), normalization.std());
		ObjectNode phreg = json.putObject("phreg");
		phreg.put("register_tokens", config.numRegisters());
		phreg.put("note", note(config.numRegisters()));
		return json;
	}

	private static String note(int registers) {
		String towers = "Visual tower only: this checkpoint has no text tower.";
		if (registers == 0) {
			return towers;
		}
		return towers + " visual.register_tokens [" + registers + ", width] holds " + registers
				+ " register tokens appended after the patch tokens, before ln_pre, without position embedding "
				+ "(PH-Reg). OpenAI CLIP and OpenCLIP have no such parameter: load these weights with phreg or a "
				+ "VisionTransformer that adds the registers the same way.";
	}

}
