package ai.phreg.job;

import java.util.List;

import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.stereotype.Component;

/**
 * A job's state as users see it: the queue's while it waits, Spring Batch's latest
 * execution once launched.
 */
@Component
class JobStates {

	private final JobRepository repository;

	private final RunningJobs running;

	JobStates(JobRepository repository, RunningJobs running) {
		this.repository = repository;
		this.running = running;
	}

	JobState of(JobRecord record) {
		return switch (record.queueState()) {
			case QUEUED, RESTART_QUEUED -> JobState.QUEUED;
			case CANCELLED -> JobState.STOPPED;
			case LAUNCHED -> {
				JobExecution last = lastExecution(record);
				yield (last != null) ? of(last) : JobState.STARTING;
			}
		};
	}

	/** Every execution of a launched job, oldest first. */
	List<JobExecution> executions(JobRecord record) {
		JobInstance instance = instance(record);
		if (instance == null) {
			return List.of();
		}
		return this.repository.getJobExecutions(instance)
			.stream()
			.sorted((a, b) -> Long.compare(a.getId(), b.getId()))
			.toList();
	}

	JobExecution lastExecution(JobRecord record) {
		JobInstance instance = instance(record);
		return (instance != null) ? this.repository.getLastJobExecution(instance) : null;
	}

	private JobInstance instance(JobRecord record) {
		return (record.jobInstanceId() != null) ? this.repository.getJobInstance(record.jobInstanceId()) : null;
	}

	/**
	 * Spring Batch marks an execution STOPPED as soon as a stop is asked for; until its
	 * running step notices, the job is still stopping, and restarting it would run it
	 * twice.
	 */
	static JobState of(JobExecution execution) {
		JobState state = of(execution.getStatus());
		return (state == JobState.STOPPED && hasRunningStep(execution)) ? JobState.STOPPING : state;
	}

	static boolean hasRunningStep(JobExecution execution) {
		return execution.getStepExecutions().stream().anyMatch((step) -> step.getStatus().isRunning());
	}

	static JobState of(BatchStatus status) {
		return switch (status) {
			case STARTING -> JobState.STARTING;
			case STARTED -> JobState.STARTED;
			case STOPPING -> JobState.STOPPING;
			case STOPPED -> JobState.STOPPED;
			case COMPLETED -> JobState.COMPLETED;
			case ABANDONED -> JobState.ABANDONED;
			case FAILED, UNKNOWN -> JobState.FAILED;
		};
	}

}
