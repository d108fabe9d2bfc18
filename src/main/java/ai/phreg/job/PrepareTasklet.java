package ai.phreg.job;

import java.io.IOException;

import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * Resolves the job once, from the teacher's header and the image count, and writes the
 * {@link ResolvedJob} the later steps read.
 */
class PrepareTasklet extends JobStepTasklet {

	private final JobInputs inputs;

	PrepareTasklet(String jobId, RunningJobs running, JobInputs inputs) {
		super(jobId, running);
		this.inputs = inputs;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws IOException {
		this.inputs.prepare(this.jobId);
		return RepeatStatus.FINISHED;
	}

}
