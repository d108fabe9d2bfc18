package ai.phreg.job;

import java.util.Locale;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * One partition of the {@code targets} step: makes sure the target cache holds the
 * targets of an image shard, image by image, so a stop request ends it after the image in
 * progress and the shard's progress is visible in its execution context. Runs in the
 * service (local partitioning) or in a worker process (remote partitioning); the teacher
 * comes from {@link TargetPrefills}, loaded once per process.
 */
class TargetsTasklet extends JobStepTasklet {

	private static final Log logger = LogFactory.getLog(TargetsTasklet.class);

	static final String DONE = "targets.done";

	static final String UNREADABLE = "targets.unreadable";

	static final String WORKER = "targets.worker";

	private final TargetPrefills prefills;

	private final int from;

	private final int to;

	private final String worker;

	TargetsTasklet(String jobId, RunningJobs running, TargetPrefills prefills, int from, int to, String worker) {
		super(jobId, running);
		this.prefills = prefills;
		this.from = from;
		this.to = to;
		this.worker = worker;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		long started = System.nanoTime();
		boolean success = false;
		int done = 0;
		try (TargetPrefills.Lease lease = this.prefills.acquire(this.jobId)) {
			step.getExecutionContext().putString(WORKER, this.worker);
			if (lease.prefill() == null) {
				success = true;
				return RepeatStatus.FINISHED;
			}
			int unreadable = 0;
			for (int image = this.from; image < this.to; image++) {
				stopIfRequested();
				unreadable += lease.prefill().fill(image, image + 1);
				done++;
			}
			step.getExecutionContext().putInt(DONE, done);
			step.getExecutionContext().putInt(UNREADABLE, unreadable);
			success = true;
			return RepeatStatus.FINISHED;
		}
		finally {
			long nanos = System.nanoTime() - started;
			this.prefills.record(success, done, nanos);
			logger.info(String.format(Locale.ROOT, "Targets shard %s of job %s %s: %d images in %.1f s (%.2f images/s)",
					step.getStepName(), this.jobId, success ? "done" : "ended early", done, nanos / 1e9,
					done / (nanos / 1e9)));
		}
	}

}
