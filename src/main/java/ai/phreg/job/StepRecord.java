package ai.phreg.job;

import java.time.Instant;

import ai.phreg.distill.StepReport;

/**
 * One optimizer step of a job's history, as stored with the job and served by the API.
 *
 * @param step the global step, 1-based
 * @param epoch its epoch, 0-based
 * @param updated false when its loss or gradients were not finite and the update was
 * skipped
 * @param loss the total loss
 * @param cosineLoss {@code 1 − mean cos}
 * @param mseLoss the MSE
 * @param learningRate the rate the step used
 * @param images images in its batch
 * @param imagesPerSecond images over the step's wall time
 * @param teacherMillis time spent on the denoised targets
 * @param studentMillis time spent on the student's forward, backward and update
 * @param skippedImages images skipped so far in the job
 * @param recordedAt when the step ended
 */
public record StepRecord(long step, long epoch, boolean updated, float loss, float cosineLoss, float mseLoss,
		float learningRate, int images, double imagesPerSecond, double teacherMillis, double studentMillis,
		int skippedImages, Instant recordedAt) {

	/** The CSV header, in the order of {@link #csvLine()}. */
	public static final String CSV_HEADER = "step,epoch,updated,loss,cosine_loss,mse_loss,learning_rate,images,"
			+ "images_per_second,teacher_ms,student_ms,skipped_images,recorded_at";

	static StepRecord of(StepReport report, int skippedImages, Instant recordedAt) {
		return new StepRecord(report.globalStep(), report.epoch(), report.updated(), report.loss(), report.cosineLoss(),
				report.mseLoss(), report.learningRate(), report.images(), report.imagesPerSecond(),
				report.teacherMillis(), report.studentMillis(), skippedImages, recordedAt);
	}

	/** The record as a CSV line (no field needs quoting), without the line break. */
	public String csvLine() {
		return String.join(",", Long.toString(this.step), Long.toString(this.epoch), Boolean.toString(this.updated),
				Float.toString(this.loss), Float.toString(this.cosineLoss), Float.toString(this.mseLoss),
				Float.toString(this.learningRate), Integer.toString(this.images), Double.toString(this.imagesPerSecond),
				Double.toString(this.teacherMillis), Double.toString(this.studentMillis),
				Integer.toString(this.skippedImages), this.recordedAt.toString());
	}

}
