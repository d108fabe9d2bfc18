package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.distill.CheckpointFolder;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.Distiller;
import ai.phreg.distill.ImageSubset;
import ai.phreg.distill.StepReport;
import ai.phreg.storage.JobFolders;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.StoppableTasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The training step. Each call trains up to {@code checkpointEvery} optimizer steps,
 * writes a checkpoint, records its location and the global step in the step's execution
 * context and returns CONTINUABLE until the run is done; a restarted job continues from
 * its newest checkpoint. A stop request ends the current call after the optimizer step in
 * progress. The model and optimizer of each running step execution live in memory between
 * calls and are released when the step ends.
 */
class DistillTasklet implements StoppableTasklet, StepExecutionListener {

	static final String CHECKPOINT = "checkpoint";

	static final String GLOBAL_STEP = "global.step";

	/** The newest two: should the newest become unreadable, the one before is at hand. */
	private static final int CHECKPOINTS_KEPT = 2;

	private final JobRecords records;

	private final RunningJobs running;

	private final JobInputs inputs;

	private final JobFolders folders;

	private final JobProgressHub progress;

	private final Map<Long, Run> runs = new ConcurrentHashMap<>();

	DistillTasklet(JobRecords records, RunningJobs running, JobInputs inputs, JobFolders folders,
			JobProgressHub progress) {
		this.records = records;
		this.running = running;
		this.inputs = inputs;
		this.folders = folders;
		this.progress = progress;
	}

	@Override
	public void beforeStep(StepExecution stepExecution) {
		this.progress.executionStarted(JobIds.of(stepExecution));
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		StepExecution stepExecution = chunkContext.getStepContext().getStepExecution();
		Run run = this.runs.get(stepExecution.getId());
		if (run == null) {
			run = open(stepExecution);
			this.runs.put(stepExecution.getId(), run);
		}
		long target = Math.min(run.stepLimit, run.distiller.globalStep() + run.spec.checkpointEvery());
		while (run.distiller.globalStep() < target && !this.running.isStopRequested(run.jobId)) {
			StepReport report = run.distiller.step();
			if (report != null) {
				this.progress.report(run.jobId, report, run.distiller.unreadableImages().size());
			}
		}
		saveCheckpoint(run, stepExecution.getExecutionContext());
		this.running.stopIfRequested(stepExecution);
		if (run.distiller.globalStep() >= run.stepLimit) {
			CheckpointExporter.export(run.distiller.student(), run.teacher.format(),
					StudentLocation.of(this.folders, run.jobId, run.teacher.format()), DType.F32,
					Map.of("phreg.job", run.jobId, "phreg.steps", Long.toString(run.distiller.globalStep())),
					run.teacher.normalization());
			return RepeatStatus.FINISHED;
		}
		return RepeatStatus.CONTINUABLE;
	}

	private Run open(StepExecution stepExecution) throws IOException {
		String jobId = JobIds.of(stepExecution);
		DistillSpec spec = this.records.spec(jobId);
		NDManager manager = NDManager.newBaseManager(this.inputs.device(spec));
		try {
			LoadedModel teacher = this.inputs.teacher(spec, manager);
			ImageSubset training = this.inputs.split(spec, this.inputs.images(spec)).training();
			DistillSettings settings = this.inputs.settings(spec, teacher, training);
			Distiller distiller = new Distiller(settings, teacher, training, manager);
			CheckpointFolder checkpoints = CheckpointFolder.open(this.folders.checkpoints(jobId), CHECKPOINTS_KEPT);
			Path latest = checkpoints.newest();
			if (latest != null) {
				distiller.restore(latest);
			}
			return new Run(jobId, spec, manager, teacher, distiller, checkpoints,
					this.inputs.stepLimit(spec, settings, training));
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
	private void saveCheckpoint(Run run, ExecutionContext context) throws IOException {
		Path file = run.checkpoints.save(run.distiller);
		context.putString(CHECKPOINT, file.toString());
		context.putLong(GLOBAL_STEP, run.distiller.globalStep());
		this.progress.persist(run.jobId);
	}

	@Override
	public void stop(StepExecution stepExecution) {
		this.running.requestStop(JobIds.of(stepExecution));
	}

	/** Spring Batch 5's signal without the execution: stops every run of this tasklet. */
	@Override
	@SuppressWarnings("removal")
	public void stop() {
		this.runs.values().forEach((run) -> this.running.requestStop(run.jobId));
	}

	@Override
	public ExitStatus afterStep(StepExecution stepExecution) {
		Run run = this.runs.remove(stepExecution.getId());
		if (run != null) {
			run.distiller.close();
			run.manager.close();
		}
		return null;
	}

	/** What one step execution trains with. */
	private static final class Run {

		final String jobId;

		final DistillSpec spec;

		final NDManager manager;

		final LoadedModel teacher;

		final Distiller distiller;

		final CheckpointFolder checkpoints;

		final long stepLimit;

		Run(String jobId, DistillSpec spec, NDManager manager, LoadedModel teacher, Distiller distiller,
				CheckpointFolder checkpoints, long stepLimit) {
			this.jobId = jobId;
			this.spec = spec;
			this.manager = manager;
			this.teacher = teacher;
			this.distiller = distiller;
			this.checkpoints = checkpoints;
			this.stepLimit = stepLimit;
		}

	}

}
