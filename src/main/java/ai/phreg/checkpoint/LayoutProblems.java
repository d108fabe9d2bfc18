package ai.phreg.checkpoint;

import java.util.ArrayList;
import java.util.List;

import ai.phreg.model.ViTConfig;

/** Collects the reasons a config does not fit a format. */
final class LayoutProblems {

	private final List<String> problems = new ArrayList<>();

	LayoutProblems require(boolean holds, String problem) {
		if (!holds) {
			this.problems.add(problem);
		}
		return this;
	}

	/**
	 * PyTorch code rebuilds the MLP width as {@code int(dim * mlp_ratio)}; some widths
	 * have no ratio that gives them back. Gated layers follow their family's own rule.
	 */
	LayoutProblems requireMlpRatio(ViTConfig config) {
		return require(config.feedForward().gated()
				|| (int) (config.embedDim() * ConfigJson.mlpRatio(config).doubleValue()) == config.mlpHiddenDim(),
				"MLP width " + config.mlpHiddenDim() + " is not int(" + config.embedDim() + " * mlp_ratio) for any "
						+ "ratio");
	}

	List<String> list() {
		return this.problems;
	}

}
