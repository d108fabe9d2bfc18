package ai.phreg.job;

import java.time.Instant;

/**
 * The latest progress of a running (or last run of a) job.
 *
 * @param step global optimizer steps done
 * @param totalSteps steps of the whole run
 * @param epoch current epoch, 0-based
 * @param percent {@code 100·step/totalSteps}
 * @param etaSeconds estimated seconds to the end of training, null when the job is not
 * running
 * @param loss latest total loss
 * @param cosineLoss latest {@code 1 − mean cos}
 * @param mseLoss latest MSE
 * @param learningRate latest learning rate
 * @param imagesPerSecond throughput of the latest step
 * @param updatedAt when this was reported
 */
public record JobProgress(long step, long totalSteps, long epoch, double percent, Double etaSeconds, Float loss,
		Float cosineLoss, Float mseLoss, Float learningRate, Double imagesPerSecond, Instant updatedAt) {

	/** The same progress without an ETA, for a job that is not running. */
	JobProgress withoutEta() {
		return new JobProgress(this.step, this.totalSteps, this.epoch, this.percent, null, this.loss, this.cosineLoss,
				this.mseLoss, this.learningRate, this.imagesPerSecond, this.updatedAt);
	}

}
