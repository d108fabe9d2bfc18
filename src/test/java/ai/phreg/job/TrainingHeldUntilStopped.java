package ai.phreg.job;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import ai.phreg.distill.StepReport;
import ai.phreg.imagesource.SkippedImage;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import tools.jackson.databind.json.JsonMapper;

/**
 * Holds a job's training on a step ({@value #HELD_STEP_PROPERTY}, by default
 * {@value #HELD_STEP}), once it is reported, until the job is asked to stop: a test that
 * acts on a short job from outside (a browser clicking Stop, a kill of the service) then
 * acts on that step on every machine, instead of racing a fast machine that would finish
 * the job first. Each job is held once in a process, so its restart trains to the end.
 * Tests import it; a service process started by a test takes it through
 * {@code --spring.main.sources}.
 */
@TestConfiguration(proxyBeanMethods = false)
public class TrainingHeldUntilStopped {

	/** The step a job's training waits on; its report is published before the wait. */
	public static final long HELD_STEP = 2;

	/** A property that chooses another step to hold. */
	public static final String HELD_STEP_PROPERTY = "phreg.test.held-step";

	/**
	 * Bounds the hold so that a test that never stops the job fails rather than hangs.
	 */
	private static final Duration LONGEST_HOLD = Duration.ofMinutes(10);

	@Bean
	@Primary
	JobProgressHub progressHeldUntilStopped(JobFolders folders, JsonMapper json, TrainingMeters meters,
			JobHistory history, RunningJobs running,
			@Value("${" + HELD_STEP_PROPERTY + ":" + HELD_STEP + "}") long heldStep) {
		return new HeldProgressHub(folders, json, meters, history, running, heldStep);
	}

	/**
	 * Returns once {@code jobId} is asked to stop, or after a bound that makes a test
	 * that never stops it fail rather than hang.
	 */
	static void untilStopRequested(RunningJobs running, String jobId) {
		long deadline = System.nanoTime() + LONGEST_HOLD.toNanos();
		while (!running.isStopRequested(jobId) && System.nanoTime() < deadline) {
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
		}
	}

	private static final class HeldProgressHub extends JobProgressHub {

		private final RunningJobs running;

		private final long heldStep;

		private final Set<String> held = ConcurrentHashMap.newKeySet();

		HeldProgressHub(JobFolders folders, JsonMapper json, TrainingMeters meters, JobHistory history,
				RunningJobs running, long heldStep) {
			super(folders, json, meters, history);
			this.running = running;
			this.heldStep = heldStep;
		}

		@Override
		void report(String jobId, StepReport report, List<SkippedImage> skipped, boolean nonFinite) {
			super.report(jobId, report, skipped, nonFinite);
			if (report.globalStep() == this.heldStep && this.held.add(jobId)) {
				untilStopRequested(this.running, jobId);
			}
		}

	}

}
