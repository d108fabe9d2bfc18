package ai.phreg.job;

import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code analyzeJob}, the job of {@link JobKind#ANALYZE}: validate → prepare (the steps
 * of {@code distillJob}) → neurons → compare → report. Nothing trains; each step leaves a
 * file in the job folder that the next reads, so a restart resumes after the last step
 * completed.
 */
@Configuration(proxyBeanMethods = false)
class AnalyzeJobConfiguration {

	static final String JOB_NAME = "analyzeJob";

	@Bean
	Job analyzeJob(JobRepository jobRepository, JobFailures failures, Step validate, Step prepare, Step neurons,
			Step compare, Step report) {
		return new JobBuilder(JOB_NAME, jobRepository).listener(failures)
			.start(validate)
			.next(prepare)
			.next(neurons)
			.next(compare)
			.next(report)
			.build();
	}

	@Bean
	@StepScope
	NeuronsTasklet neuronsTasklet(@Value(DistillJobConfiguration.JOB_ID) String jobId, RunningJobs running,
			JobInputs inputs, JobOutputs outputs) {
		return new NeuronsTasklet(jobId, running, inputs, outputs);
	}

	@Bean
	@StepScope
	CompareTasklet compareTasklet(@Value(DistillJobConfiguration.JOB_ID) String jobId, RunningJobs running,
			JobInputs inputs, JobOutputs outputs) {
		return new CompareTasklet(jobId, running, inputs, outputs);
	}

	@Bean
	@StepScope
	AnalysisReportTasklet analysisReportTasklet(@Value(DistillJobConfiguration.JOB_ID) String jobId,
			RunningJobs running, JobInputs inputs, JobOutputs outputs) {
		return new AnalysisReportTasklet(jobId, running, inputs, outputs);
	}

	@Bean
	Step neurons(JobRepository jobRepository, NeuronsTasklet neuronsTasklet) {
		return DistillJobConfiguration.step(JobPhase.NEURONS, jobRepository, neuronsTasklet).build();
	}

	@Bean
	Step compare(JobRepository jobRepository, CompareTasklet compareTasklet) {
		return DistillJobConfiguration.step(JobPhase.COMPARE, jobRepository, compareTasklet).build();
	}

	@Bean
	Step report(JobRepository jobRepository, AnalysisReportTasklet analysisReportTasklet) {
		return DistillJobConfiguration.step(JobPhase.REPORT, jobRepository, analysisReportTasklet).build();
	}

}
