package ai.phreg.distill;

/**
 * What one optimizer step did.
 *
 * @param globalStep steps completed so far in the run (this one included)
 * @param totalSteps steps of the whole run
 * @param epoch the epoch of this step, 0-based
 * @param updated false when the step's gradients were not finite and its update was
 * skipped
 * @param loss the total loss
 * @param cosineLoss {@code 1 − mean cos}
 * @param mseLoss the unweighted MSE
 * @param learningRate the rate this step used
 * @param images images in the batch
 * @param imagesPerSecond images over the wall time of the whole step
 * @param teacherMillis time spent on the denoised targets (all views)
 * @param studentMillis time spent on the student's forward, backward and update
 * @param phases the step's time by phase
 * @param teacherViewImages views the teacher ran on
 * @param cacheHits targets read from the target cache instead of computed
 */
public record StepReport(long globalStep, long totalSteps, long epoch, boolean updated, float loss, float cosineLoss,
		float mseLoss, float learningRate, int images, double imagesPerSecond, double teacherMillis,
		double studentMillis, PhaseTimes phases, long teacherViewImages, long cacheHits) {
}
