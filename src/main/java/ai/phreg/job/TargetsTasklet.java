package ai.phreg.job;

import java.util.Locale;

import ai.phreg.job.TargetPrefills.Outcome;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * One partition of the {@code targets} step: makes sure the target cache holds the
 * targets of an image shard, one image per chunk. After each image Spring Batch saves the
 * partition's progress ({@value #NEXT}) and its step execution to the job repository, and
 * that update reads the job's status back: a stop written there (by
 * {@code JobOperator.stop}, or by the service's stop in remote mode) marks the partition
 * to terminate, and it ends STOPPED before its next image, what it wrote kept. The same
 * partition run again (a restart, or a request RabbitMQ redelivered) resumes at its next
 * image, after clearing the temporary files of writers that died. Runs in the service
 * (local partitioning) or in a worker process (remote partitioning); the teacher comes
 * from {@link TargetPrefills}, loaded once per process.
 */
class TargetsTasklet extends JobStepTasklet implements StepExecutionListener {

	private static final Log logger = LogFactory.getLog(TargetsTasklet.class);

	/** The partition's images whose targets are in the cache. */
	static final String DONE = "targets.done";

	/** The next image of the partition to make sure of. */
	static final String NEXT = "targets.next";

	static final String UNREADABLE = "targets.unreadable";

	/** The process that ran the partition last. */
	static final String WORKER = "targets.worker";

	private final TargetPrefills prefills;

	private final int from;

	private final int to;

	private final String worker;

	private TargetPrefills.Lease lease;

	private boolean ranBefore;

	private long started;

	private int doneHere;

	TargetsTasklet(String jobId, RunningJobs running, TargetPrefills prefills, int from, int to, String worker) {
		super(jobId, running);
		this.prefills = prefills;
		this.from = from;
		this.to = to;
		this.worker = worker;
	}

	@Override
	public void beforeStep(StepExecution step) {
		this.started = System.nanoTime();
		this.ranBefore = step.getExecutionContext().containsKey(WORKER);
		step.getExecutionContext().putString(WORKER, this.worker);
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		if (this.lease == null) {
			this.lease = this.prefills.acquire(this.jobId);
			if (this.lease.prefill() != null && this.ranBefore) {
				// A writer of this partition's previous run may have died mid-write.
				this.lease.prefill().removeAbandonedWrites();
			}
		}
		ExecutionContext context = step.getExecutionContext();
		int image = context.getInt(NEXT, this.from);
		if (this.lease.prefill() == null || image >= this.to) {
			return RepeatStatus.FINISHED;
		}
		int unreadable = this.lease.prefill().fill(image, image + 1);
		context.putInt(NEXT, image + 1);
		context.putInt(DONE, context.getInt(DONE, 0) + 1);
		context.putInt(UNREADABLE, context.getInt(UNREADABLE, 0) + unreadable);
		this.doneHere++;
		this.prefills.recordImage(this.doneHere, System.nanoTime() - this.started);
		return (image + 1 < this.to) ? RepeatStatus.CONTINUABLE : RepeatStatus.FINISHED;
	}

	@Override
	public ExitStatus afterStep(StepExecution step) {
		if (this.lease != null) {
			this.lease.close();
			this.lease = null;
		}
		long nanos = System.nanoTime() - this.started;
		Outcome outcome = switch (step.getStatus()) {
			case COMPLETED -> Outcome.COMPLETED;
			case STOPPED, STOPPING -> Outcome.STOPPED;
			default -> Outcome.FAILED;
		};
		this.prefills.recordPartition(outcome, nanos);
		logger.info(String.format(Locale.ROOT, "Targets shard %s of job %s %s: %d images in %.1f s (%.2f images/s)",
				step.getStepName(), this.jobId, outcome.name().toLowerCase(Locale.ROOT), this.doneHere, nanos / 1e9,
				this.doneHere / (nanos / 1e9)));
		return null;
	}

}
