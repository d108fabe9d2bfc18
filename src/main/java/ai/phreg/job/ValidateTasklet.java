package ai.phreg.job;

import java.util.Map;

import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.batch.core.scope.context.ChunkContext;

/**
 * Checks the request against the files as they are now: the queue may have held the job
 * while inputs changed since submission.
 */
class ValidateTasklet implements Tasklet {

	private final JobRecords records;

	private final RunningJobs running;

	private final JobInputs inputs;

	ValidateTasklet(JobRecords records, RunningJobs running, JobInputs inputs) {
		this.records = records;
		this.running = running;
		this.inputs = inputs;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		this.running.stopIfRequested(chunkContext.getStepContext().getStepExecution());
		DistillSpec spec = this.records.spec(JobIds.of(chunkContext));
		Map<String, String> problems = this.inputs.problems(spec);
		if (!problems.isEmpty()) {
			throw new InvalidSpecException(problems);
		}
		return RepeatStatus.FINISHED;
	}

}
