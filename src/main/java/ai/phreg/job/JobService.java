package ai.phreg.job;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import ai.phreg.checkpoint.CheckpointFormat;

/** What the API can do with distillation jobs. */
public interface JobService {

	/**
	 * Queues a job; a repeated idempotency key returns the job it first created.
	 * @throws InvalidSpecException when the spec cannot run (bad values, paths outside
	 * the allowed roots, missing files)
	 */
	JobView submit(DistillSpec spec, String idempotencyKey);

	/**
	 * Jobs newest first, in one state or in any, by page.
	 * @param state the state to list, {@code null} for every job
	 * @param from how many matching jobs to skip
	 * @param count the most jobs to show
	 */
	JobList list(JobState state, int from, int count);

	/**
	 * @throws UnknownJobException for an unknown id
	 */
	JobView get(String id);

	/**
	 * Stops a queued or running job at the next step boundary.
	 * @throws JobStateException when the job is not queued or running
	 */
	JobView stop(String id);

	/**
	 * Restarts a stopped or failed job from its last checkpoint.
	 * @throws JobStateException when the job is not stopped or failed
	 */
	JobView restart(String id);

	/** The files a job has produced so far. */
	List<ArtifactView> artifacts(String id);

	/**
	 * The file of one artifact.
	 * @throws UnknownArtifactException when there is no such artifact or the name would
	 * leave the job's folder
	 */
	Path artifact(String id, String name);

	/**
	 * Every optimizer step of the job so far, in order.
	 * @throws UnknownJobException for an unknown id
	 */
	List<StepRecord> history(String id);

	/**
	 * The folder the job exported its student to as {@code format}.
	 * @throws UnknownArtifactException when the job has not exported that format
	 */
	Path exportFolder(String id, CheckpointFormat format);

	/**
	 * Calls {@code listener} with the job's view on every progress report and state
	 * change until the returned handle is closed.
	 */
	AutoCloseable subscribe(String id, Consumer<JobView> listener);

}
