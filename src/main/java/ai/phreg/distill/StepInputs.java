package ai.phreg.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What a step trains on, possibly made ahead of time on another thread: the batch, and
 * the teacher's targets when they were computed ahead too. The tensors live in
 * {@code owner}, which the step closes when it is done.
 *
 * @param owner the manager of the tensors
 * @param batch the batch; null when every image of it was unreadable
 * @param targets the denoised targets, or null when the step computes them itself
 * @param times the time spent making them
 * @param cacheHits targets read from the target cache
 */
record StepInputs(NDManager owner, TrainingBatches.Batch batch, NDArray targets, PhaseTimes times,
		long cacheHits) implements AutoCloseable {

	@Override
	public void close() {
		this.owner.close();
	}

}
