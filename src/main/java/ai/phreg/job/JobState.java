package ai.phreg.job;

/** Where a job is in its life, as users see it. */
public enum JobState {

	/** Waiting in the queue for a free device slot. */
	QUEUED,

	/** Launched, not yet running its first step. */
	STARTING,

	/** Running. */
	STARTED,

	/** Asked to stop; stops at the next step boundary. */
	STOPPING,

	/** Stopped by a user; can be restarted. */
	STOPPED,

	/** Ended by an error (including a crash of the service); can be restarted. */
	FAILED,

	/** Finished; its artifacts are ready. */
	COMPLETED,

	/** Given up for good. */
	ABANDONED;

	public boolean isTerminal() {
		return this == COMPLETED || this == ABANDONED;
	}

	public boolean isRestartable() {
		return this == STOPPED || this == FAILED;
	}

	public boolean isActive() {
		return this == STARTING || this == STARTED || this == STOPPING;
	}

}
