package ai.phreg.job;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The stops users asked for, by job id, until the end of the job's execution is recorded
 * (forgotten then by {@link JobDispatcher}, or when the job restarts).
 *
 * <p>
 * A stop is delivered in process: the running step ends itself at its next boundary by
 * throwing {@link JobInterruptedException}, which Spring Batch records as STOPPED. A stop
 * can be asked for as soon as the job is launched, before its execution or its first step
 * exists: the first step boundary honours it. Spring Batch's own {@code JobOperator.stop}
 * instead writes the step execution from the caller's thread while the step's thread
 * keeps updating it, and the step then fails on optimistic locking.
 * <p>
 * With the {@code targets} step scaled out ({@code phreg.targets.mode=remote}) the stop
 * must also reach workers in other processes: it is written to the shared job repository
 * as the job execution's STOPPING status (the part of {@code JobOperator.stop} that is
 * safe from another thread, as every update of the execution reads its status back). A
 * worker reads it back with the update Spring Batch makes after each image and ends its
 * partition STOPPED ({@link TargetsTasklet}).
 * <p>
 * A request is not forgotten when the execution's listeners run: Spring Batch writes the
 * execution's end after them, and in between the job would show as STARTED again.
 */
@Component
class RunningJobs {

	private final Set<String> stopRequested = ConcurrentHashMap.newKeySet();

	private final JobRepository repository;

	private final boolean sharedWithWorkers;

	RunningJobs(JobRepository repository, @Value("${phreg.targets.mode:local}") String targetsMode) {
		this.repository = repository;
		this.sharedWithWorkers = "remote".equals(targetsMode);
	}

	/** Asks the launched job {@code jobId} to stop at its next step boundary. */
	void requestStop(String jobId) {
		this.stopRequested.add(jobId);
		if (this.sharedWithWorkers) {
			JobExecution execution = this.repository.getLastJobExecution(DistillJobConfiguration.JOB_NAME,
					new JobParametersBuilder().addString(JobIds.PARAMETER, jobId).toJobParameters());
			if (execution != null && execution.isRunning()) {
				execution.setStatus(BatchStatus.STOPPING);
				this.repository.update(execution);
			}
		}
	}

	boolean isStopRequested(String jobId) {
		return this.stopRequested.contains(jobId);
	}

	/**
	 * Drops a stop request, once its execution's end is recorded or before the job
	 * restarts.
	 */
	void forget(String jobId) {
		this.stopRequested.remove(jobId);
	}

}
