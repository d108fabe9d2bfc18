package ai.phreg.job;

import java.util.Map;

import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * Checks the request in full against the files as they are now: the queue may have held
 * the job while its inputs changed, and the submission only made the cheap checks.
 */
class ValidateTasklet extends JobStepTasklet {

	private final JobRecords records;

	private final SpecChecks checks;

	ValidateTasklet(String jobId, RunningJobs running, JobRecords records, SpecChecks checks) {
		super(jobId, running);
		this.records = records;
		this.checks = checks;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) {
		Map<String, String> problems = this.checks.full(this.records.spec(this.jobId));
		if (!problems.isEmpty()) {
			throw new InvalidSpecException(problems);
		}
		return RepeatStatus.FINISHED;
	}

}
