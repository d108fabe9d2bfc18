package ai.phreg.job;

import java.util.concurrent.CancellationException;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;

import org.springframework.batch.core.job.JobInterruptedException;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * A step of {@code distillJob} or {@code analyzeJob}, bound to one job (a step-scoped
 * bean built with the {@code jobId} job parameter). A stop the user asked for ends the
 * step as STOPPED before it starts and at every {@link #stopIfRequested} in between.
 */
abstract class JobStepTasklet implements Tasklet {

	protected final String jobId;

	private final RunningJobs running;

	JobStepTasklet(String jobId, RunningJobs running) {
		this.jobId = jobId;
		this.running = running;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		stopIfRequested();
		return execute(step);
	}

	/** The work of the step. */
	protected abstract RepeatStatus execute(StepExecution step) throws Exception;

	protected boolean isStopRequested() {
		return this.running.isStopRequested(this.jobId);
	}

	/**
	 * Runs {@code work} with the job's teacher loaded in a manager on its device, closed
	 * after; a stop asked for while the teacher loads, or that cuts the work short with a
	 * {@link CancellationException}, ends the step as STOPPED.
	 */
	protected <T> T withTeacher(JobInputs inputs, PreparedJob job, TeacherWork<T> work) throws Exception {
		try (NDManager manager = inputs.newManager(job)) {
			LoadedModel teacher = inputs.teacher(job, manager);
			stopIfRequested();
			return work.apply(teacher, manager);
		}
		catch (CancellationException stopped) {
			stopIfRequested();
			throw stopped;
		}
	}

	/** Ends the step as STOPPED if the job was asked to stop. */
	protected void stopIfRequested() throws JobInterruptedException {
		if (isStopRequested()) {
			throw new JobInterruptedException("Job " + this.jobId + " stopped by request");
		}
	}

	/** A step's work on the job's teacher, its tensors in {@code manager}. */
	@FunctionalInterface
	interface TeacherWork<T> {

		T apply(LoadedModel teacher, NDManager manager) throws Exception;

	}

}
