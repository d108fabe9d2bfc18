package ai.phreg.job;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import ai.phreg.distill.StepReport;
import ai.phreg.imagesource.SkippedImage;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import tools.jackson.databind.json.JsonMapper;

/**
 * Holds a job's training on step {@value #HELD_STEP}, once it is reported, until the job
 * is asked to stop: a test that stops a short job from outside (a browser clicking Stop)
 * then stops it on that step on every machine, instead of racing a fast machine that
 * would finish the job first. Each job is held once, so its restart trains to the end.
 */
@TestConfiguration(proxyBeanMethods = false)
public class TrainingHeldUntilStopped {

	/** The step a job's training waits on; its report is published before the wait. */
	public static final long HELD_STEP = 2;

	/**
	 * Bounds the hold so that a test that never stops the job fails rather than hangs.
	 */
	private static final Duration LONGEST_HOLD = Duration.ofMinutes(10);

	@Bean
	@Primary
	JobProgressHub progressHeldUntilStopped(JobFolders folders, JsonMapper json, TrainingMeters meters,
			JobHistory history, RunningJobs running) {
		return new HeldProgressHub(folders, json, meters, history, running);
	}

	private static final class HeldProgressHub extends JobProgressHub {

		private final RunningJobs running;

		private final Set<String> held = ConcurrentHashMap.newKeySet();

		HeldProgressHub(JobFolders folders, JsonMapper json, TrainingMeters meters, JobHistory history,
				RunningJobs running) {
			super(folders, json, meters, history);
			this.running = running;
		}

		@Override
		void report(String jobId, StepReport report, List<SkippedImage> skipped, boolean nonFinite) {
			super.report(jobId, report, skipped, nonFinite);
			if (report.globalStep() == HELD_STEP && this.held.add(jobId)) {
				long deadline = System.nanoTime() + LONGEST_HOLD.toNanos();
				while (!this.running.isStopRequested(jobId) && System.nanoTime() < deadline) {
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
				}
			}
		}

	}

}
