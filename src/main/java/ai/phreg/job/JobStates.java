package ai.phreg.job;

import java.util.List;

import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.stereotype.Component;

/**
 * A job's state and phase as users see them: the queue's while it waits, Spring Batch's
 * latest execution once launched. States only move forward: a relaunched job is STARTING
 * until its new execution exists, not its previous execution's end again.
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
		return of(record, executions(record));
	}

	JobState of(JobRecord record, List<JobExecution> executions) {
		return of(record.queueState(), record.launches(), executions, this.running.isStopRequested(record.id()));
	}

	/**
	 * @param queueState the queue's view
	 * @param launches how many times the job was handed to Spring Batch
	 * @param executions its executions, oldest first
	 * @param stopRequested whether a user asked the job to stop
	 */
	static JobState of(JobRecord.QueueState queueState, int launches, List<JobExecution> executions,
			boolean stopRequested) {
		if (queueState != JobRecord.QueueState.LAUNCHED) {
			return queueState.visibleState();
		}
		// Stopping a job queued for restart hands it back to its previous execution
		// without a launch: only an execution count below the launches means one is
		// still to come.
		if (executions.isEmpty() || executions.size() < launches) {
			return stopRequested ? JobState.STOPPING : JobState.STARTING;
		}
		JobState state = of(executions.get(executions.size() - 1));
		return (stopRequested && state.isActive()) ? JobState.STOPPING : state;
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

	/**
	 * The phase of the latest execution: of its running step, else of the last step it
	 * ran; null before it ran one.
	 */
	static JobPhase phase(List<JobExecution> executions) {
		if (executions.isEmpty()) {
			return null;
		}
		return executions.get(executions.size() - 1)
			.getStepExecutions()
			.stream()
			.max((a, b) -> Long.compare(a.getId(), b.getId()))
			.map(StepExecution::getStepName)
			.map(JobPhase::ofStep)
			.orElse(null);
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

	private JobInstance instance(JobRecord record) {
		return (record.jobInstanceId() != null) ? this.repository.getJobInstance(record.jobInstanceId()) : null;
	}

}
