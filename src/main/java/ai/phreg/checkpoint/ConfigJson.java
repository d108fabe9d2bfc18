package ai.phreg.checkpoint;

import ai.phreg.model.ViTConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Building blocks of the configs the codecs write, as PyTorch code expects them. */
final class ConfigJson {

	private ConfigJson() {
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
