package ai.phreg.checkpoint;

import java.util.Map;

/**
 * Weights holding NaN or infinite values: a teacher with them produces NaN features, and
 * a student with them has diverged. Neither is loaded nor written.
 */
public class NonFiniteWeightsException extends InvalidCheckpointException {

	private final transient Map<String, Long> counts;

	NonFiniteWeightsException(String message, Map<String, Long> counts) {
		super(message);
		this.counts = Map.copyOf(counts);
	}

	/** The number of non-finite values per tensor. */
	public Map<String, Long> counts() {
		return this.counts;
	}

}
