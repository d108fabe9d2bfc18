package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.List;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes facebookresearch/dinov2 torch.hub checkpoints: one safetensors file with hub key
 * names, and beside it {@code <name>.config.json} with the constructor arguments the
 * weights cannot tell (heads, position-embedding interpolation), which phreg's loader
 * reads back. The hub model declares a {@code mask_token} and loads strictly, so a zero
 * one is written; it only takes part in masked-image pretraining.
 */
final class DinoV2HubWriter extends FamilyWriter {

	private static final String EXTENSION = ".safetensors";

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.DINOV2_HUB;
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return dinoV2(config)
			.require(config.layerNormEps() == 1e-6f,
					"hub DINOv2 uses LayerNorm eps 1e-6, this model " + config.layerNormEps())
			.list();
	}

	/** What both DINOv2 layouts, hub and Hugging Face, require. */
	static Problems dinoV2(ViTConfig config) {
		return new Problems().require(config.patchBias(), "DINOv2's patch embedding has a bias, this model's has none")
			.require(!config.preNorm(), "DINOv2 has no LayerNorm before the first block, this model has one (ln_pre)")
			.require(config.classTokenPositioned(),
					"DINOv2's position embedding has a class-token row, this "
							+ "model's covers the patches only (timm no_embed_class)")
			.require(config.projectionDim() == 0, "DINOv2 has no output projection, this model has one (CLIP's proj)")
			.require(config.activation() == MlpActivation.GELU,
					"DINOv2's MLP uses exact GELU, this model's uses " + config.activation())
			.requireMlpRatio(config);
	}

	@Override
	CheckpointFiles files(Path target) {
		String name = target.getFileName().toString();
		if (!name.endsWith(EXTENSION) || name.length() == EXTENSION.length()) {
			throw new IllegalArgumentException("A DINOv2 hub checkpoint is one <name>.safetensors file, not " + target);
		}
		String stem = name.substring(0, name.length() - EXTENSION.length());
		return new CheckpointFiles(target, target, target.resolveSibling(stem + ".config.json"));
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		sink.add(DinoV2HubConverter.RENAMES.apply(parameter), shape, values);
	}

	@Override
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
		addMaskToken("mask_token", config, carried, sink);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		ObjectNode json = object();
		json.put("arch", "DinoVisionTransformer");
		json.put("img_size", config.imageSize());
		json.put("patch_size", config.patchSize());
		json.put("in_chans", 3);
		json.put("embed_dim", config.embedDim());
		json.put("depth", config.depth());
		json.put("num_heads", config.numHeads());
		json.set("mlp_ratio", mlpRatio(config));
		json.put("qkv_bias", config.qkvBias());
		json.put("ffn_bias", true);
		json.put("proj_bias", true);
		if (config.layerScale()) {
			json.put("init_values", 1.0);
		}
		else {
			json.putNull("init_values");
		}
		json.put("ffn_layer", "mlp");
		json.put("block_chunks", 0);
		json.put("num_register_tokens", config.numRegisters());
		// The hub's two rules: +0.1 on the scale factor without antialiasing (plain
		// models), or exact size with it (register models).
		json.put("interpolate_antialias", config.positionResampling() == PositionResampling.BICUBIC_ANTIALIAS);
		json.put("interpolate_offset", (config.positionResampling() == PositionResampling.BICUBIC_OFFSET) ? 0.1 : 0.0);
		decimals(json.putArray("mean"), normalization.mean());
		decimals(json.putArray("std"), normalization.std());
		return json;
	}

}
