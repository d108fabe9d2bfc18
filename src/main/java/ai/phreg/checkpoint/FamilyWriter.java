package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a {@link VisionTransformer} in one family's own layout, so that the family's own
 * library loads it: the inverse of that family's {@link FamilyConverter}. Key names come
 * from the converter's rename table, so each mapping is maintained in one place, and
 * {@link CheckpointExporter} reads every export back through the converter.
 */
abstract class FamilyWriter {

	abstract CheckpointFormat format();

	/**
	 * Why this family's format cannot hold a model of {@code config} exactly; empty when
	 * it can.
	 */
	abstract List<String> unsupported(ViTConfig config);

	/** Where the checkpoint's weights and config go for a {@code target} path. */
	abstract CheckpointFiles files(Path target);

	/**
	 * Emits the family's tensor(s) holding phreg parameter {@code parameter}, whose
	 * row-major {@code values} have {@code shape}.
	 */
	abstract void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink);

	/**
	 * Emits tensors the family's own loader requires although phreg's model has no use
	 * for them, such as DINOv2's mask token: the source's own when {@code carried} has
	 * them, else neutral values.
	 */
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
	}

	/** The family's configuration file for the model. */
	abstract ObjectNode config(ViTConfig config, DType dtype, Normalization normalization);

	/** Receives the tensors of the checkpoint being written. */
	interface TensorSink {

		/** A tensor from values, stored in the export's dtype. */
		void add(String key, long[] shape, float[] values);

		/** A tensor written exactly as {@code stored} holds it, dtype included. */
		void addUnchanged(String key, TensorData stored);

	}

	/**
	 * DINOv2's mask token {@code [1, width]}: the carried one bit for bit, else zeros,
	 * which is what an untrained one holds.
	 */
	static void addMaskToken(String key, ViTConfig config, CarriedTensors carried, TensorSink sink) {
		long[] shape = { 1, config.embedDim() };
		TensorData stored = carried.get(CarriedTensors.MASK_TOKEN).orElse(null);
		if (stored == null) {
			sink.add(key, shape, new float[config.embedDim()]);
			return;
		}
		if (!Arrays.equals(stored.shape(), shape)) {
			throw new IllegalArgumentException("The carried mask token is " + Arrays.toString(stored.shape())
					+ " but this model needs " + Arrays.toString(shape) + ": it comes from another model");
		}
		sink.addUnchanged(key, stored);
	}

	/**
	 * The files of one checkpoint.
	 *
	 * @param location what {@link CheckpointLoader#load} reads: the weights file or the
	 * folder holding both files
	 * @param weights the safetensors file
	 * @param config the configuration file
	 */
	record CheckpointFiles(Path location, Path weights, Path config) {

		/**
		 * A checkpoint folder, as Hugging Face hubs lay them out: the file names are
		 * fixed, so the folder is the checkpoint.
		 */
		static CheckpointFiles inFolder(Path folder, String weights, String config) {
			return new CheckpointFiles(folder, folder.resolve(weights), folder.resolve(config));
		}

	}

	/** Collects the reasons a config does not fit a format. */
	static final class Problems {

		private final List<String> problems = new ArrayList<>();

		Problems require(boolean holds, String problem) {
			if (!holds) {
				this.problems.add(problem);
			}
			return this;
		}

		/**
		 * PyTorch code rebuilds the MLP width as {@code int(dim * mlp_ratio)}; some
		 * widths have no ratio that gives them back.
		 */
		Problems requireMlpRatio(ViTConfig config) {
			return require((int) (config.embedDim() * mlpRatio(config).doubleValue()) == config.mlpHiddenDim(),
					"MLP width " + config.mlpHiddenDim() + " is not int(" + config.embedDim() + " * mlp_ratio) for any "
							+ "ratio");
		}

		List<String> list() {
			return this.problems;
		}

	}

	static ObjectNode object() {
		return JsonNodeFactory.instance.objectNode();
	}

	/** The MLP width as a ratio of the token width, integral when it is (4, not 4.0). */
	static JsonNode mlpRatio(ViTConfig config) {
		if (config.mlpHiddenDim() % config.embedDim() == 0) {
			return JsonNodeFactory.instance.numberNode(config.mlpHiddenDim() / config.embedDim());
		}
		return JsonNodeFactory.instance.numberNode((double) config.mlpHiddenDim() / config.embedDim());
	}

	/**
	 * A float as its shortest decimal ({@code 1e-6f} becomes 1e-6, not 9.99999997e-7),
	 * which Python reads as a double that narrows back to exactly this float. phreg keeps
	 * statistics as floats, so CLIP's mean 0.48145466 is written as 0.48145467: the same
	 * float32.
	 */
	static double decimal(float value) {
		return Double.parseDouble(Float.toString(value));
	}

	static ArrayNode decimals(ArrayNode array, float[] values) {
		for (float value : values) {
			array.add(decimal(value));
		}
		return array;
	}

}
