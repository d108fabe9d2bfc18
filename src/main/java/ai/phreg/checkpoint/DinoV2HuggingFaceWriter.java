package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes Hugging Face checkpoints that {@code AutoModel.from_pretrained} loads as
 * {@code Dinov2WithRegistersModel} (with registers) or {@code Dinov2Model}: a folder with
 * {@code model.safetensors} and {@code config.json}, as {@code save_pretrained} of the
 * base model writes them. The fused qkv projection is split back into query, key and
 * value, and a zero {@code embeddings.mask_token} is written so transformers finds no
 * missing weight. Pixel statistics live in transformers' separate preprocessor config,
 * which is not written.
 */
final class DinoV2HuggingFaceWriter extends FamilyWriter {

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.DINOV2_HF;
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return DinoV2HubWriter.dinoV2(config)
			.require(config.layerScale(), "transformers' DINOv2 always has LayerScale, this model has none")
			.list();
	}

	@Override
	CheckpointFiles files(Path target) {
		return CheckpointFiles.inFolder(target, "model.safetensors", "config.json");
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		List<String> split = DinoV2HuggingFaceConverter.qkvKeys(parameter);
		if (split.isEmpty()) {
			sink.add(DinoV2HuggingFaceConverter.RENAMES.apply(parameter), shape, values);
			return;
		}
		// The fused rows are [query; key; value], each a third of the first axis.
		long[] part = shape.clone();
		part[0] = shape[0] / split.size();
		int length = values.length / split.size();
		for (int i = 0; i < split.size(); i++) {
			sink.add(split.get(i), part, Arrays.copyOfRange(values, i * length, (i + 1) * length));
		}
	}

	@Override
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
		addMaskToken("embeddings.mask_token", config, carried, sink);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		boolean registers = config.numRegisters() > 0;
		ObjectNode json = object();
		json.putArray("architectures").add(registers ? "Dinov2WithRegistersModel" : "Dinov2Model");
		json.put("model_type", registers ? "dinov2_with_registers" : "dinov2");
		json.put("hidden_size", config.embedDim());
		json.put("num_hidden_layers", config.depth());
		json.put("num_attention_heads", config.numHeads());
		json.set("mlp_ratio", mlpRatio(config));
		json.put("hidden_act", "gelu");
		json.put("hidden_dropout_prob", 0.0);
		json.put("attention_probs_dropout_prob", 0.0);
		json.put("initializer_range", 0.02);
		json.put("layer_norm_eps", decimal(config.layerNormEps()));
		json.put("image_size", config.imageSize());
		json.put("patch_size", config.patchSize());
		json.put("num_channels", 3);
		json.put("qkv_bias", config.qkvBias());
		// Only the initial value of LayerScale; the trained scales are weights.
		json.put("layerscale_value", 1.0);
		json.put("drop_path_rate", 0.0);
		json.put("use_swiglu_ffn", false);
		// transformers' backbone settings, as save_pretrained writes them: the last
		// stage.
		json.putArray("out_features").add("stage" + config.depth());
		json.putArray("out_indices").add(config.depth());
		ArrayNode stages = json.putArray("stage_names").add("stem");
		for (int stage = 1; stage <= config.depth(); stage++) {
			stages.add("stage" + stage);
		}
		json.put("apply_layernorm", true);
		json.put("reshape_hidden_states", true);
		json.put("torch_dtype", dtype.torchName());
		if (registers) {
			json.put("num_register_tokens", config.numRegisters());
		}
		else {
			json.put("use_mask_token", true);
		}
		return json;
	}

}
