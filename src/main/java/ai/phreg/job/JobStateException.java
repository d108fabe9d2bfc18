package ai.phreg.job;

/**
 * The job is in a state that does not allow the request, such as restarting a running
 * job.
 */
public class JobStateException extends RuntimeException {

	private final JobState state;

	public JobStateException(String message, JobState state) {
		super(message);
		this.state = state;
	}

	public JobState state() {
		return this.state;
	}

}
