package ai.phreg.job;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.ImageSubset;
import ai.phreg.distill.StudentFactory;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.batch.core.scope.context.ChunkContext;

/**
 * Loads the teacher in full (a checkpoint that is broken past its header fails here, with
 * the loader's message), builds the student once, and scans the images; records what it
 * found in the job's execution context for the report.
 */
class PrepareTasklet implements Tasklet {

	private final JobRecords records;

	private final RunningJobs running;

	private final JobInputs inputs;

	PrepareTasklet(JobRecords records, RunningJobs running, JobInputs inputs) {
		this.records = records;
		this.running = running;
		this.inputs = inputs;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		this.running.stopIfRequested(chunkContext.getStepContext().getStepExecution());
		DistillSpec spec = this.records.spec(JobIds.of(chunkContext));
		try (NDManager manager = NDManager.newBaseManager(this.inputs.device(spec))) {
			LoadedModel teacher = this.inputs.teacher(spec, manager);
			ImageSubset.Split split = this.inputs.split(spec, this.inputs.images(spec));
			DistillSettings settings = this.inputs.settings(spec, teacher, split.training());
			StudentFactory.create(teacher, settings.registers(), settings.seed(), manager);
			ExecutionContext job = chunkContext.getStepContext()
				.getStepExecution()
				.getJobExecution()
				.getExecutionContext();
			job.putString("teacher.format", teacher.format().name());
			job.putString("teacher.config", teacher.model().config().toString());
			job.putLong("teacher.parameters", teacher.parameterCount());
			job.putInt("images.training", split.training().size());
			job.putInt("images.evaluation", split.evaluation().size());
			job.putString("settings", settings.toString());
			job.putLong("steps.total", this.inputs.stepLimit(spec, settings, split.training()));
		}
		return RepeatStatus.FINISHED;
	}

}
