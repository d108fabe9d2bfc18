package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.List;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
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
final class ClipWriter extends FamilyWriter {

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.CLIP_OPENAI;
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return new Problems()
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
	CheckpointFiles files(Path target) {
		return CheckpointFiles.inFolder(target, "open_clip_model.safetensors", "open_clip_config.json");
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		long[] stored = switch (parameter) {
			// [1, 1, W] -> [W]; [1, T, W] -> [T, W]
			case "cls_token" -> new long[] { shape[2] };
			case "reg_token", "pos_embed" -> new long[] { shape[1], shape[2] };
			default -> shape;
		};
		sink.add("visual." + ClipConverter.RENAMES.apply(parameter), stored, values);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		ObjectNode json = object();
		ObjectNode model = json.putObject("model_cfg");
		model.put("embed_dim", config.projectionDim());
		model.put("quick_gelu", config.activation() == MlpActivation.QUICK_GELU);
		ObjectNode vision = model.putObject("vision_cfg");
		vision.put("image_size", config.imageSize());
		vision.put("layers", config.depth());
		vision.put("width", config.embedDim());
		vision.put("patch_size", config.patchSize());
		vision.put("head_width", config.embedDim() / config.numHeads());
		vision.set("mlp_ratio", mlpRatio(config));
		if (config.layerScale()) {
			// Only LayerScale's initial value; the trained scales are weights.
			vision.put("ls_init_value", 1e-5);
		}
		ObjectNode preprocess = json.putObject("preprocess_cfg");
		decimals(preprocess.putArray("mean"), normalization.mean());
		decimals(preprocess.putArray("std"), normalization.std());
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
