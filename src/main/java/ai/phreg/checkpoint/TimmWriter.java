package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.List;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
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
 */
final class TimmWriter extends FamilyWriter {

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.TIMM;
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return new Problems()
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

	@Override
	CheckpointFiles files(Path target) {
		return CheckpointFiles.inFolder(target, "model.safetensors", "config.json");
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		int registers = config.numRegisters();
		if (!parameter.equals("pos_embed") || !config.classTokenPositioned() || registers == 0) {
			sink.add(parameter, shape, values);
			return;
		}
		// [1, 1+N, D] -> [1, 1+R+N, D]: zero rows for the registers after the class row.
		int dim = (int) shape[2];
		float[] withRegisters = new float[values.length + registers * dim];
		System.arraycopy(values, 0, withRegisters, 0, dim);
		System.arraycopy(values, dim, withRegisters, (1 + registers) * dim, values.length - dim);
		sink.add(parameter, new long[] { shape[0], shape[1] + registers, dim }, withRegisters);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		ObjectNode json = object();
		json.put("architecture", "vit_base_patch16_224");
		json.put("num_classes", 0);
		json.put("num_features", config.embedDim());
		json.put("global_pool", "token");
		ObjectNode args = json.putObject("model_args");
		args.put("img_size", config.imageSize());
		args.put("patch_size", config.patchSize());
		args.put("embed_dim", config.embedDim());
		args.put("depth", config.depth());
		args.put("num_heads", config.numHeads());
		args.set("mlp_ratio", mlpRatio(config));
		args.put("qkv_bias", config.qkvBias());
		args.put("class_token", true);
		args.put("reg_tokens", config.numRegisters());
		args.put("no_embed_class", !config.classTokenPositioned());
		args.put("pre_norm", config.preNorm());
		if (config.layerScale()) {
			// Only LayerScale's initial value; the trained scales are weights.
			args.put("init_values", 1e-5);
		}
		args.put("act_layer", (config.activation() == MlpActivation.QUICK_GELU) ? "quick_gelu" : "gelu");
		args.put("global_pool", "token");
		args.put("dynamic_img_size", true);
		ObjectNode pretrained = json.putObject("pretrained_cfg");
		pretrained.putArray("input_size").add(3).add(config.imageSize()).add(config.imageSize());
		decimals(pretrained.putArray("mean"), normalization.mean());
		decimals(pretrained.putArray("std"), normalization.std());
		pretrained.put("num_classes", 0);
		return json;
	}

}
