package ai.phreg.job;

import ai.phreg.storage.JobFolders;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code distillJob}: validate → prepare → distill → evaluate → export. Every step finds
 * its job's spec through the {@code jobId} job parameter; the distill step repeats until
 * training is done, checkpointing as it goes, so a restart resumes it. The tasklets keep
 * no database transaction open while they compute: their own state is files in the job
 * folder.
 */
@Configuration(proxyBeanMethods = false)
class DistillJobConfiguration {

	static final String JOB_NAME = "distillJob";

	@Bean
	Job distillJob(JobRepository jobRepository, RunningJobs runningJobs, Step validate, Step prepare, Step distill,
			Step evaluate, Step export) {
		return new JobBuilder(JOB_NAME, jobRepository).listener(runningJobs)
			.start(validate)
			.next(prepare)
			.next(distill)
			.next(evaluate)
			.next(export)
			.build();
	}

	@Bean
	Step validate(JobRepository jobRepository, RunningJobs running, JobRecords records, JobInputs inputs) {
		return new StepBuilder("validate", jobRepository)
			.tasklet(new ValidateTasklet(records, running, inputs), noTransactions())
			.build();
	}

	@Bean
	Step prepare(JobRepository jobRepository, RunningJobs running, JobRecords records, JobInputs inputs) {
		return new StepBuilder("prepare", jobRepository)
			.tasklet(new PrepareTasklet(records, running, inputs), noTransactions())
			.build();
	}

	@Bean
	DistillTasklet distillTasklet(JobRecords records, RunningJobs running, JobInputs inputs, JobFolders folders,
			JobProgressHub progress) {
		return new DistillTasklet(records, running, inputs, folders, progress);
	}

	@Bean
	Step distill(JobRepository jobRepository, DistillTasklet distillTasklet) {
		return new StepBuilder("distill", jobRepository).tasklet(distillTasklet, noTransactions())
			.listener(distillTasklet)
			.build();
	}

	@Bean
	Step evaluate(JobRepository jobRepository, RunningJobs running, JobRecords records, JobInputs inputs,
			JobFolders folders, JsonMapper json, JobProgressHub progress) {
		return new StepBuilder("evaluate", jobRepository)
			.tasklet(new EvaluateTasklet(records, running, inputs, folders, json, progress), noTransactions())
			.build();
	}

	@Bean
	Step export(JobRepository jobRepository, RunningJobs running, JobRecords records, JobInputs inputs,
			JobFolders folders, JobProgressHub progress, JsonMapper json) {
		return new StepBuilder("export", jobRepository)
			.tasklet(new ExportTasklet(records, running, inputs, folders, progress, json), noTransactions())
			.build();
	}

	private static PlatformTransactionManager noTransactions() {
		return new ResourcelessTransactionManager();
	}

}
