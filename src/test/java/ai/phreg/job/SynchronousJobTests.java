package ai.phreg.job;

import java.time.Instant;
import java.util.UUID;

import ai.phreg.TemporaryStorage;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.test.JobOperatorTestUtils;
import org.springframework.batch.test.context.SpringBatchTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.task.SyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;
import org.springframework.test.context.bean.override.convention.TestBean;
import org.springframework.test.context.bean.override.mockito.MockitoSpyBean;

/**
 * The base of tests that run steps of {@code distillJob}, or the whole job, on the test's
 * thread, as Spring Batch's test utilities launch them, for jobs whose records the tests
 * insert (the dispatcher does not run on its own). Its subclasses share one application
 * context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = "phreg.dispatch-interval=1h")
@SpringBatchTest
abstract class SynchronousJobTests extends TemporaryStorage {

	/** Steps run on the test's thread: each result is final when they return. */
	@TestBean(name = "batchTaskExecutor")
	TaskExecutor batchTaskExecutor;

	/** The real images, which a test may make change under a running job. */
	@MockitoSpyBean
	JobImages images;

	@Autowired
	JobOperatorTestUtils batch;

	@Autowired
	Job distillJob;

	@Autowired
	JobRecords records;

	@Autowired
	JobService jobs;

	/**
	 * The application runs a job of each kind ({@code distillJob}, {@code analyzeJob}):
	 * the test utilities are told which one these steps belong to.
	 */
	@BeforeEach
	void stepsOfTheDistillJob() {
		this.batch.setJob(this.distillJob);
	}

	static TaskExecutor batchTaskExecutor() {
		return new SyncTaskExecutor();
	}

	/** Records a submission of {@code spec}; returns its job id. */
	String submit(DistillSpec spec) {
		String jobId = UUID.randomUUID().toString();
		this.records.insert(JobRecord.submitted(jobId, null, spec, "cpu", Instant.now()));
		return jobId;
	}

	/**
	 * Runs one step for the job. (Returns no {@code StepExecution}: the step-scope test
	 * listener would take such a method for a factory of its own.)
	 */
	StepRun step(JobPhase phase, String jobId) {
		JobExecution execution = this.batch.startStep(phase.stepName(), parameters(jobId), new ExecutionContext());
		StepExecution step = execution.getStepExecutions().iterator().next();
		return new StepRun(step.getStatus(), step.getExitStatus().getExitDescription());
	}

	/**
	 * Runs the whole job as the dispatcher launches it, its execution linked to the job's
	 * record so that the job's view shows it; returns how the execution ended.
	 */
	BatchStatus runJob(String jobId) throws Exception {
		this.records.launch(jobId, JobRecord.QueueState.QUEUED);
		JobExecution execution = this.batch.startJob(parameters(jobId));
		this.records.linkInstance(jobId, execution.getJobInstance().getInstanceId());
		return execution.getStatus();
	}

	private JobParameters parameters(String jobId) {
		return this.batch.getUniqueJobParametersBuilder().addString(JobIds.PARAMETER, jobId).toJobParameters();
	}

	record StepRun(BatchStatus status, String exitDescription) {
	}

}
