package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.distill.CheckpointFolder;
import ai.phreg.distill.Distiller;
import ai.phreg.distill.Training;
import ai.phreg.imagesource.SkippedImage;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The training step of one job (a step-scoped bean: one instance per step execution,
 * which holds the run between calls). The first call loads the teacher and resumes from
 * the newest checkpoint; each call trains up to {@code checkpointEvery} optimizer steps,
 * writes a checkpoint, records it in the step's execution context and returns CONTINUABLE
 * until the run has trained exactly its steps. A stop request ends the current call after
 * the optimizer step in progress. The run's memory is released when the step ends.
 */
class DistillTasklet extends JobStepTasklet implements StepExecutionListener {

	static final String CHECKPOINT = "checkpoint";

	static final String GLOBAL_STEP = "global.step";

	/** The newest two: should the newest become unreadable, the one before is at hand. */
	private static final int CHECKPOINTS_KEPT = 2;

	private final JobInputs inputs;

	private final JobFolders folders;

	private final JobProgressHub progress;

	private final int nonFiniteStepLimit;

	private Run run;

	DistillTasklet(String jobId, RunningJobs running, JobInputs inputs, JobOutputs outputs, int nonFiniteStepLimit) {
		super(jobId, running);
		this.inputs = inputs;
		this.folders = outputs.folders();
		this.progress = outputs.progress();
		this.nonFiniteStepLimit = nonFiniteStepLimit;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		if (this.run == null) {
			this.run = open();
			this.progress.trainingStarted(this.jobId, this.run.distiller().globalStep());
		}
		this.run.training.trainUntilCheckpoint(this::isStopRequested);
		saveCheckpoint(step.getExecutionContext());
		stopIfRequested();
		if (this.run.distiller().isFinished()) {
			this.run.training.exportStudent(this.folders.student(this.jobId, this.run.training.teacher().format()),
					Map.of("phreg.job", this.jobId, "phreg.steps", Long.toString(this.run.distiller().globalStep())));
			return RepeatStatus.FINISHED;
		}
		return RepeatStatus.CONTINUABLE;
	}

	private Run open() throws IOException {
		PreparedJob job = this.inputs.prepared(this.jobId);
		NDManager manager = this.inputs.newManager(job);
		try {
			NonFiniteSteps nonFinite = new NonFiniteSteps(this.nonFiniteStepLimit);
			Run run = new Run(manager);
			run.training = Training
				.of(this.inputs.teacher(job, manager), this.inputs.split(job).training(), job.resolved().settings())
				.execution(this.inputs.execution(job))
				.listener((report) -> this.progress.report(this.jobId, report, run.skippedImages(),
						nonFinite.record(report)))
				.checkpoints(CheckpointFolder.open(this.folders.checkpoints(this.jobId), CHECKPOINTS_KEPT),
						job.spec().checkpointEvery())
				.start(manager);
			return run;
		}
		catch (IOException | RuntimeException ex) {
			manager.close();
			throw ex;
		}
	}

	/**
	 * Saves a checkpoint, then records it in the step's execution context: after a stop
	 * or a crash the folder can be one checkpoint ahead of the last committed context,
	 * and a restart continues from the folder's newest.
	 */
	private void saveCheckpoint(ExecutionContext context) throws IOException {
		// Progress and history first: steps recorded beyond the newest checkpoint are
		// replaced when the run resumes, while steps missing before it would stay lost.
		this.progress.persist(this.jobId);
		Path file = this.run.training.saveCheckpoint();
		context.putString(CHECKPOINT, file.toString());
		context.putLong(GLOBAL_STEP, this.run.distiller().globalStep());
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		if (this.run != null) {
			this.run.close();
			this.run = null;
		}
		this.progress.trainingEnded(this.jobId);
		return null;
	}

	/** What the step trains with, from its first call to its end. */
	private static final class Run {

		private final NDManager manager;

		private Training training;

		private List<SkippedImage> skipped;

		private int unreadable = -1;

		Run(NDManager manager) {
			this.manager = manager;
		}

		Distiller distiller() {
			return this.training.distiller();
		}

		/**
		 * Every training image left out so far, with the reason: listed again only when
		 * another image failed to decode (the scan's skips do not change).
		 */
		List<SkippedImage> skippedImages() {
			int unreadableNow = distiller().unreadableImages().size();
			if (unreadableNow != this.unreadable) {
				this.skipped = distiller().skippedImages();
				this.unreadable = unreadableNow;
			}
			return this.skipped;
		}

		void close() {
			if (this.training != null) {
				this.training.close();
			}
			this.manager.close();
		}

	}

}
