package ai.phreg.job;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Waits for a job's view to meet a condition by asking the service again and again, never
 * for a fixed time: the tests run on shared, busy machines. A deadline that passes first
 * fails the test with the job's state and errors.
 */
final class JobAwaiting {

	private static final Duration POLL = Duration.ofMillis(200);

	private JobAwaiting() {
	}

	/**
	 * The first view that meets {@code condition}; a job that fails first fails the test.
	 */
	static JobView await(JobService jobs, String id, Predicate<JobView> condition, Duration timeout)
			throws InterruptedException {
		return poll(jobs, id, condition, timeout, true);
	}

	/** As {@link #await}, for conditions a failed job may still come to meet. */
	static JobView awaitEvenIfFailed(JobService jobs, String id, Predicate<JobView> condition, Duration timeout)
			throws InterruptedException {
		return poll(jobs, id, condition, timeout, false);
	}

	private static JobView poll(JobService jobs, String id, Predicate<JobView> condition, Duration timeout,
			boolean failOnFailure) throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		JobView view = jobs.get(id);
		while (!condition.test(view)) {
			assertThat(Instant.now()).as("waiting for job %s, now %s %s", id, view.state(), view.errors())
				.isBefore(deadline);
			if (failOnFailure) {
				assertThat(view.state()).as("job %s failed: %s", id, view.errors()).isNotEqualTo(JobState.FAILED);
			}
			Thread.sleep(POLL.toMillis());
			view = jobs.get(id);
		}
		return view;
	}

}
