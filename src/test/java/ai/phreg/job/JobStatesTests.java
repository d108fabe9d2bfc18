package ai.phreg.job;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.step.StepExecution;

import static org.assertj.core.api.Assertions.assertThat;

/** The mapping from the queue and Spring Batch's executions to the states users see. */
class JobStatesTests {

	private static final JobInstance INSTANCE = new JobInstance(1, DistillJobConfiguration.JOB_NAME);

	@Test
	void beforeALaunchTheQueueTellsTheState() {
		assertThat(JobStates.of(JobRecord.QueueState.QUEUED, 0, List.of(), false)).isEqualTo(JobState.QUEUED);
		assertThat(
				JobStates.of(JobRecord.QueueState.RESTART_QUEUED, 1, List.of(execution(1, BatchStatus.FAILED)), false))
			.isEqualTo(JobState.QUEUED);
		assertThat(JobStates.of(JobRecord.QueueState.CANCELLED, 0, List.of(), false)).isEqualTo(JobState.STOPPED);
	}

	@Test
	void aLaunchedJobIsStartingUntilItsExecutionExists() {
		assertThat(JobStates.of(JobRecord.QueueState.LAUNCHED, 1, List.of(), false)).isEqualTo(JobState.STARTING);
	}

	@Test
	void aRestartedJobIsStartingUntilItsNewExecutionExistsNotFailedAgain() {
		List<JobExecution> failedOnce = List.of(execution(1, BatchStatus.FAILED));

		assertThat(JobStates.of(JobRecord.QueueState.LAUNCHED, 2, failedOnce, false)).isEqualTo(JobState.STARTING);
		assertThat(JobStates.of(JobRecord.QueueState.LAUNCHED, 2,
				List.of(execution(1, BatchStatus.FAILED), execution(2, BatchStatus.STARTED)), false))
			.isEqualTo(JobState.STARTED);
	}

	@Test
	void stoppingARestartQueuedJobShowsItsPreviousEnd() {
		// the stop hands the job back to its last execution without a launch
		assertThat(JobStates.of(JobRecord.QueueState.LAUNCHED, 1, List.of(execution(1, BatchStatus.STOPPED)), false))
			.isEqualTo(JobState.STOPPED);
	}

	@Test
	void aStopRequestShowsAsStoppingOnlyWhileTheJobIsActive() {
		assertThat(JobStates.of(JobRecord.QueueState.LAUNCHED, 1, List.of(), true)).isEqualTo(JobState.STOPPING);
		assertThat(JobStates.of(JobRecord.QueueState.LAUNCHED, 1, List.of(execution(1, BatchStatus.STARTED)), true))
			.isEqualTo(JobState.STOPPING);
		assertThat(JobStates.of(JobRecord.QueueState.LAUNCHED, 1, List.of(execution(1, BatchStatus.COMPLETED)), true))
			.isEqualTo(JobState.COMPLETED);
	}

	@Test
	void aStoppedExecutionWhoseStepStillRunsIsStopping() {
		JobExecution execution = execution(1, BatchStatus.STOPPED);
		step(execution, 10, JobPhase.DISTILL, BatchStatus.STARTED);

		assertThat(JobStates.of(execution)).isEqualTo(JobState.STOPPING);
	}

	@Test
	void everyBatchStatusHasAState() {
		assertThat(JobStates.of(BatchStatus.UNKNOWN)).isEqualTo(JobState.FAILED);
		assertThat(JobStates.of(BatchStatus.ABANDONED)).isEqualTo(JobState.ABANDONED);
		for (BatchStatus status : BatchStatus.values()) {
			assertThat(JobStates.of(status)).isNotNull();
		}
	}

	@Test
	void thePhaseIsTheNewestStepOfTheNewestExecution() {
		JobExecution first = execution(1, BatchStatus.FAILED);
		step(first, 1, JobPhase.VALIDATE, BatchStatus.COMPLETED);
		step(first, 2, JobPhase.PREPARE, BatchStatus.COMPLETED);
		step(first, 3, JobPhase.DISTILL, BatchStatus.FAILED);
		JobExecution second = execution(2, BatchStatus.STARTED);
		step(second, 4, JobPhase.DISTILL, BatchStatus.COMPLETED);
		step(second, 5, JobPhase.EVALUATE, BatchStatus.STARTED);

		assertThat(JobStates.phase(List.of())).isNull();
		assertThat(JobStates.phase(List.of(first))).isEqualTo(JobPhase.DISTILL);
		assertThat(JobStates.phase(List.of(first, second))).isEqualTo(JobPhase.EVALUATE);
	}

	private static JobExecution execution(long id, BatchStatus status) {
		JobExecution execution = new JobExecution(id, INSTANCE, new JobParameters());
		execution.setStatus(status);
		return execution;
	}

	private static void step(JobExecution execution, long id, JobPhase phase, BatchStatus status) {
		StepExecution step = new StepExecution(id, phase.stepName(), execution);
		step.setStatus(status);
		execution.addStepExecution(step);
	}

}
