package ai.phreg.checkpoint;

import java.util.Optional;

import ai.phreg.model.FeedForward;
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
	 * The {@code mlp_ratio} from which DINOv2's SwiGLU code (hub {@code SwiGLUFFNFused},
	 * transformers' {@code Dinov2WithRegistersSwiGLUFFN}) builds this model's gated
	 * width: two thirds of {@code int(width * mlp_ratio)} rounded up to 8
	 * ({@link FeedForward#swigluHidden}). The usual 4 when it gives the width back, else
	 * one and a half times the width; empty when neither does (a width not a multiple of
	 * 8).
	 */
	static Optional<JsonNode> swigluMlpRatio(ViTConfig config) {
		int dim = config.embedDim();
		for (int nominal : new int[] { 4 * dim, config.mlpHiddenDim() * 3 / 2 }) {
			double ratio = (double) nominal / dim;
			if ((int) (dim * ratio) == nominal && FeedForward.swigluHidden(nominal) == config.mlpHiddenDim()) {
				return Optional.of((nominal % dim == 0) ? JsonNodeFactory.instance.numberNode(nominal / dim)
						: JsonNodeFactory.instance.numberNode(ratio));
			}
		}
		return Optional.empty();
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
