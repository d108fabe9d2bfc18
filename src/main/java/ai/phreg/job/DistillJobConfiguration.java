package ai.phreg.job;

import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.core.step.builder.TaskletStepBuilder;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code distillJob}: validate → prepare → neurons (with test-time registers only) →
 * targets → distill → evaluate → export ({@link JobPhase}). Each step's tasklet is a
 * step-scoped bean bound to its job through the {@code jobId} job parameter; the distill
 * step repeats until training is done, checkpointing as it goes, so a restart resumes it.
 * The tasklets keep no database transaction open while they compute: their own state is
 * files in the job folder.
 */
@Configuration(proxyBeanMethods = false)
class DistillJobConfiguration {

	static final String JOB_NAME = "distillJob";

	static final String JOB_ID = "#{jobParameters['" + JobIds.PARAMETER + "']}";

	@Bean
	Job distillJob(JobRepository jobRepository, JobFailures failures, Step validate, Step prepare, Step neurons,
			Step targets, Step distill, Step evaluate, Step export) {
		return new JobBuilder(JOB_NAME, jobRepository).listener(failures)
			.start(validate)
			.next(prepare)
			.next(neurons)
			.next(targets)
			.next(distill)
			.next(evaluate)
			.next(export)
			.build();
	}

	@Bean
	@StepScope
	ValidateTasklet validateTasklet(@Value(JOB_ID) String jobId, RunningJobs running, JobRecords records,
			SpecChecks checks) {
		return new ValidateTasklet(jobId, running, records, checks);
	}

	@Bean
	@StepScope
	PrepareTasklet prepareTasklet(@Value(JOB_ID) String jobId, RunningJobs running, JobInputs inputs) {
		return new PrepareTasklet(jobId, running, inputs);
	}

	/**
	 * @param nonFiniteStepLimit consecutive non-finite steps that fail a run
	 */
	@Bean
	@StepScope
	DistillTasklet distillTasklet(@Value(JOB_ID) String jobId, RunningJobs running, JobInputs inputs,
			JobOutputs outputs, @Value("${phreg.non-finite-step-limit:5}") int nonFiniteStepLimit) {
		return new DistillTasklet(jobId, running, inputs, outputs, nonFiniteStepLimit);
	}

	@Bean
	@StepScope
	EvaluateTasklet evaluateTasklet(@Value(JOB_ID) String jobId, RunningJobs running, JobInputs inputs,
			JobOutputs outputs) {
		return new EvaluateTasklet(jobId, running, inputs, outputs);
	}

	@Bean
	@StepScope
	ExportTasklet exportTasklet(@Value(JOB_ID) String jobId, RunningJobs running, JobInputs inputs,
			JobOutputs outputs) {
		return new ExportTasklet(jobId, running, inputs, outputs);
	}

	@Bean
	Step validate(JobRepository jobRepository, ValidateTasklet validateTasklet) {
		return step(JobPhase.VALIDATE, jobRepository, validateTasklet).build();
	}

	@Bean
	Step prepare(JobRepository jobRepository, PrepareTasklet prepareTasklet) {
		return step(JobPhase.PREPARE, jobRepository, prepareTasklet).build();
	}

	@Bean
	Step distill(JobRepository jobRepository, DistillTasklet distillTasklet) {
		return step(JobPhase.DISTILL, jobRepository, distillTasklet).listener(distillTasklet).build();
	}

	@Bean
	Step evaluate(JobRepository jobRepository, EvaluateTasklet evaluateTasklet) {
		return step(JobPhase.EVALUATE, jobRepository, evaluateTasklet).build();
	}

	@Bean
	Step export(JobRepository jobRepository, ExportTasklet exportTasklet) {
		return step(JobPhase.EXPORT, jobRepository, exportTasklet).build();
	}

	/** A step without database transactions around its tasklet. */
	static TaskletStepBuilder step(JobPhase phase, JobRepository jobRepository, Tasklet tasklet) {
		return new StepBuilder(phase.stepName(), jobRepository).tasklet(tasklet, new ResourcelessTransactionManager());
	}

}
