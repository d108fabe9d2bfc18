package ai.phreg.job;

import ai.phreg.distill.StepReport;

/**
 * Watches a run for steps that went non-finite: a loss that is NaN or infinite, or an
 * update AdamW skipped because its gradients were. A few such steps can be noise; a run
 * of them means the student will not recover, and the run fails before it publishes a
 * checkpoint.
 */
final class NonFiniteSteps {

	private final int limit;

	private int consecutive;

	/**
	 * @param limit consecutive non-finite steps that fail the run
	 */
	NonFiniteSteps(int limit) {
		if (limit < 1) {
			throw new IllegalArgumentException("The limit of non-finite steps must be at least 1, got " + limit);
		}
		this.limit = limit;
	}

	/**
	 * Records a step; returns whether it was non-finite.
	 * @throws NonFiniteTrainingException when it is the limit-th non-finite step in a row
	 */
	boolean record(StepReport report) {
		boolean nonFinite = !report.updated() || !Float.isFinite(report.loss());
		this.consecutive = nonFinite ? this.consecutive + 1 : 0;
		if (this.consecutive >= this.limit) {
			throw new NonFiniteTrainingException(this.limit, report.globalStep());
		}
		return nonFinite;
	}

}
