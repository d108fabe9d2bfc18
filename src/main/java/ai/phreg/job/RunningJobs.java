package ai.phreg.job;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.stereotype.Component;

/**
 * The stops users asked for, by job id, until the job's execution ends.
 *
 * <p>
 * A stop is delivered in process: the running step ends itself at its next boundary by
 * throwing {@link JobInterruptedException}, which Spring Batch records as STOPPED. A stop
 * can be asked for as soon as the job is launched, before its execution or its first step
 * exists: the first step boundary honours it. Spring Batch's own {@code JobOperator.stop}
 * instead writes the step execution from the caller's thread while the step's thread
 * keeps updating it, and the step then fails on optimistic locking.
 */
@Component
class RunningJobs implements JobExecutionListener {

	private final Set<String> stopRequested = ConcurrentHashMap.newKeySet();

	@Override
	public void afterJob(JobExecution jobExecution) {
		forget(jobExecution.getJobParameters().getString(JobIds.PARAMETER));
	}

	/** Asks the launched job {@code jobId} to stop at its next step boundary. */
	void requestStop(String jobId) {
		this.stopRequested.add(jobId);
	}

	boolean isStopRequested(String jobId) {
		return this.stopRequested.contains(jobId);
	}

	/** Drops a stop request, when its execution ended or before the job restarts. */
	void forget(String jobId) {
		this.stopRequested.remove(jobId);
	}

}
