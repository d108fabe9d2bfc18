package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.distill.CheckpointFolder;
import ai.phreg.distill.Distiller;
import ai.phreg.distill.StepReport;
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
			this.progress.trainingStarted(this.jobId, this.run.distiller.globalStep());
		}
		Distiller distiller = this.run.distiller;
		long target = Math.min(distiller.totalSteps(), distiller.globalStep() + this.run.checkpointEvery);
		while (distiller.globalStep() < target && !isStopRequested()) {
			StepReport report = distiller.step();
			if (report != null) {
				boolean nonFinite = this.run.nonFinite.record(report);
				this.progress.report(this.jobId, report, this.run.skippedImages(), nonFinite);
			}
		}
		saveCheckpoint(step.getExecutionContext());
		stopIfRequested();
		if (distiller.isFinished()) {
			// The student carries its teacher's unused tensors (the mask token) as
			// stored.
			CheckpointExporter.export(distiller.student(), this.run.teacher.carried(), this.run.teacher.format(),
					this.folders.student(this.jobId, this.run.teacher.format()), DType.F32,
					Map.of("phreg.job", this.jobId, "phreg.steps", Long.toString(distiller.globalStep())),
					this.run.teacher.normalization());
			return RepeatStatus.FINISHED;
		}
		return RepeatStatus.CONTINUABLE;
	}

	private Run open() throws IOException {
		PreparedJob job = this.inputs.prepared(this.jobId);
		NDManager manager = this.inputs.newManager(job);
		try {
			LoadedModel teacher = this.inputs.teacher(job, manager);
			Distiller distiller = new Distiller(job.resolved().settings(), this.inputs.execution(job), teacher,
					this.inputs.split(job).training(), manager);
			CheckpointFolder checkpoints = CheckpointFolder.open(this.folders.checkpoints(this.jobId),
					CHECKPOINTS_KEPT);
			Path latest = checkpoints.newest();
			if (latest != null) {
				distiller.restore(latest);
			}
			return new Run(manager, teacher, distiller, checkpoints, job.spec().checkpointEvery(),
					new NonFiniteSteps(this.nonFiniteStepLimit));
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
		Path file = this.run.checkpoints.save(this.run.distiller);
		context.putString(CHECKPOINT, file.toString());
		context.putLong(GLOBAL_STEP, this.run.distiller.globalStep());
		this.progress.persist(this.jobId);
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		if (this.run != null) {
			this.run.distiller.close();
			this.run.manager.close();
			this.run = null;
		}
		this.progress.trainingEnded(this.jobId);
		return null;
	}

	/** What the step trains with, from its first call to its end. */
	private static final class Run {

		private final NDManager manager;

		private final LoadedModel teacher;

		private final Distiller distiller;

		private final CheckpointFolder checkpoints;

		private final int checkpointEvery;

		private final NonFiniteSteps nonFinite;

		private List<SkippedImage> skipped;

		private int unreadable = -1;

		Run(NDManager manager, LoadedModel teacher, Distiller distiller, CheckpointFolder checkpoints,
				int checkpointEvery, NonFiniteSteps nonFinite) {
			this.manager = manager;
			this.teacher = teacher;
			this.distiller = distiller;
			this.checkpoints = checkpoints;
			this.checkpointEvery = checkpointEvery;
			this.nonFinite = nonFinite;
		}

		/**
		 * Every training image left out so far, with the reason: listed again only when
		 * another image failed to decode (the scan's skips do not change).
		 */
		List<SkippedImage> skippedImages() {
			int unreadableNow = this.distiller.unreadableImages().size();
			if (unreadableNow != this.unreadable) {
				this.skipped = this.distiller.skippedImages();
				this.unreadable = unreadableNow;
			}
			return this.skipped;
		}

	}

}
