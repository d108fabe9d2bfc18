package ai.phreg.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.phreg.model.FeedForward;
import ai.phreg.model.ViTConfig;

/**
 * Checks that what a config declares matches what the weights show. A config that is
 * present but describes another model (another width, depth, architecture) means the
 * wrong file sits beside the weights, or a hand-edited one: loading would silently mix
 * the two, so every disagreement is collected and the checkpoint refused.
 */
final class ConfigAgreement {

	private final SidecarConfig sidecar;

	private final List<String> problems = new ArrayList<>();

	ConfigAgreement(SidecarConfig sidecar) {
		this.sidecar = sidecar;
	}

	SidecarConfig sidecar() {
		return this.sidecar;
	}

	/** Whether the config sets {@code key} to the string {@code value}. */
	boolean declares(String key, String value) throws InvalidCheckpointException {
		return this.sidecar.text(key).map(value::equals).orElse(false);
	}

	/**
	 * A whole-number setting, when present, must equal what the weights show.
	 * @param what what the weights have, with {@code %d} for the value
	 */
	ConfigAgreement integer(String key, int fromWeights, String what) throws InvalidCheckpointException {
		Integer declared = this.sidecar.integer(key).orElse(null);
		if (declared != null && declared != fromWeights) {
			this.problems.add("'" + key + "' is " + declared + " but the weights have " + what.formatted(fromWeights));
		}
		return this;
	}

	/** A boolean setting, when present, must equal what the weights show. */
	ConfigAgreement flag(String key, boolean fromWeights, String what) throws InvalidCheckpointException {
		Boolean declared = this.sidecar.bool(key).orElse(null);
		if (declared != null && declared != fromWeights) {
			this.problems
				.add("'" + key + "' is " + declared + " but the weights have " + (fromWeights ? "" : "no ") + what);
		}
		return this;
	}

	/**
	 * PyTorch code builds the MLP {@code int(width * mlp_ratio)} wide; the declared ratio
	 * must give the width of the weights. For SwiGLU three conventions exist and one must
	 * give it: DINOv2's and DINOv3's two thirds of that width rounded up to a multiple of
	 * 8, timm's packed {@code fc1} of twice the gated width, or EVA-02's gated width
	 * itself.
	 */
	ConfigAgreement mlpRatio(String key, ViTConfig config) throws InvalidCheckpointException {
		Double ratio = this.sidecar.number(key).orElse(null);
		if (ratio == null) {
			return this;
		}
		int nominal = (int) (config.embedDim() * ratio);
		boolean agrees = config.feedForward().gated() ? FeedForward.swigluHidden(nominal) == config.mlpHiddenDim()
				|| nominal == 2 * config.mlpHiddenDim() || nominal == config.mlpHiddenDim()
				: nominal == config.mlpHiddenDim();
		if (!agrees) {
			this.problems.add("'" + key + "' is " + ratio + " but the weights have an MLP " + config.mlpHiddenDim()
					+ " wide on a width of " + config.embedDim());
		}
		return this;
	}

	/**
	 * {@code model_type}, when present, must name this family: a ViT or CLIP config
	 * beside DINOv2 weights describes another model.
	 */
	ConfigAgreement modelType(String... accepted) throws InvalidCheckpointException {
		String declared = this.sidecar.text("model_type").orElse(null);
		if (declared != null && !Arrays.asList(accepted).contains(declared)) {
			String shown = (declared.length() <= 60) ? declared : declared.substring(0, 60) + "...";
			this.problems.add("'model_type' is '" + shown + "', not one of this checkpoint family's "
					+ Arrays.toString(accepted));
		}
		return this;
	}

	ConfigAgreement require(boolean holds, String problem) {
		if (!holds) {
			this.problems.add(problem);
		}
		return this;
	}

	void check() throws InvalidCheckpointException {
		if (!this.problems.isEmpty()) {
			throw new InvalidCheckpointException("Config " + this.sidecar + " does not describe the weights beside it: "
					+ String.join("; ", this.problems)
					+ ". Use the config that came with these weights, or remove it to load the weights alone.");
		}
	}

}
