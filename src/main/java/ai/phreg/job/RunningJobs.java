package ai.phreg.job;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.stereotype.Component;

/**
 * The job executions whose threads run in this process, and the stops users asked for.
 *
 * <p>
 * A stop is delivered in process: the running step ends itself at its next boundary by
 * throwing {@link JobInterruptedException}, which Spring Batch records as STOPPED. Spring
 * Batch's own {@code JobOperator.stop} instead writes the step execution from the
 * caller's thread while the step's thread keeps updating it, and the step then fails on
 * optimistic locking.
 */
@Component
class RunningJobs implements JobExecutionListener {

	private final Map<Long, String> running = new ConcurrentHashMap<>();

	private final Set<String> stopRequested = ConcurrentHashMap.newKeySet();

	@Override
	public void beforeJob(JobExecution jobExecution) {
		String jobId = jobExecution.getJobParameters().getString(JobIds.PARAMETER);
		this.stopRequested.remove(jobId);
		this.running.put(jobExecution.getId(), jobId);
	}

	@Override
	public void afterJob(JobExecution jobExecution) {
		String jobId = this.running.remove(jobExecution.getId());
		if (jobId != null) {
			this.stopRequested.remove(jobId);
		}
	}

	boolean isRunning(JobExecution jobExecution) {
		return this.running.containsKey(jobExecution.getId());
	}

	/** Asks the running execution of {@code jobId} to stop; false when none runs here. */
	boolean requestStop(String jobId) {
		if (!this.running.containsValue(jobId)) {
			return false;
		}
		this.stopRequested.add(jobId);
		return true;
	}

	boolean isStopRequested(String jobId) {
		return this.stopRequested.contains(jobId);
	}

	/** Ends the step of {@code stepExecution} as STOPPED if its job was asked to stop. */
	void stopIfRequested(StepExecution stepExecution) throws JobInterruptedException {
		String jobId = JobIds.of(stepExecution);
		if (isStopRequested(jobId)) {
			throw new JobInterruptedException(
					"Job " + jobId + " stopped by request at step " + stepExecution.getStepName());
		}
	}

}
