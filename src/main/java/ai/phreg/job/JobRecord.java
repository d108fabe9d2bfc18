package ai.phreg.job;

import java.time.Instant;

/**
 * A row of the job table: the submission and where it stands in phreg's queue.
 *
 * @param id the job id
 * @param idempotencyKey the client's key, or null
 * @param spec what was asked for
 * @param device the device the job runs on
 * @param queueState the queue's view of the job
 * @param createdAt when it was submitted
 * @param queuedAt when it last changed queue state, which orders the queue
 * @param jobInstanceId the Spring Batch job instance once launched, else null
 * @param launchError why the last launch failed, else null
 * @param launches how many times the job was handed to Spring Batch
 * @param lastSeenState the state the dispatcher last saw, which it watches and counts
 */
public record JobRecord(String id, String idempotencyKey, DistillSpec spec, String device, QueueState queueState,
		Instant createdAt, Instant queuedAt, Long jobInstanceId, String launchError, int launches,
		JobState lastSeenState) {

	/** A new submission, waiting for its first launch. */
	static JobRecord submitted(String id, String idempotencyKey, DistillSpec spec, String device, Instant now) {
		return new JobRecord(id, idempotencyKey, spec, device, QueueState.QUEUED, now, now, null, null, 0,
				JobState.QUEUED);
	}

	/**
	 * The queue's view of a job; once launched, Spring Batch's executions tell the rest.
	 */
	public enum QueueState {

		/** Waiting for its first launch. */
		QUEUED,

		/** Waiting to be restarted from its last checkpoint. */
		RESTART_QUEUED,

		/** Handed to Spring Batch. */
		LAUNCHED,

		/** Stopped before it was ever launched. */
		CANCELLED,

		/**
		 * Refused by Spring Batch when handed over: failed with the reason, and
		 * restartable like any failed job.
		 */
		LAUNCH_FAILED;

		/**
		 * The state users see while the job is in this queue state, before Batch runs it.
		 */
		JobState visibleState() {
			return switch (this) {
				case QUEUED, RESTART_QUEUED -> JobState.QUEUED;
				case LAUNCHED -> JobState.STARTING;
				case CANCELLED -> JobState.STOPPED;
				case LAUNCH_FAILED -> JobState.FAILED;
			};
		}

	}

}
