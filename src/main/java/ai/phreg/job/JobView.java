package ai.phreg.job;

import java.time.Instant;
import java.util.List;

/**
 * A job as the API shows it.
 *
 * @param id the job id
 * @param state where the job is
 * @param spec what was asked for
 * @param progress the latest progress, null before training started
 * @param skippedImages images that could not be read and were skipped
 * @param errors error messages of failed executions, newest last
 * @param executions how many times the job was launched (1 + restarts)
 * @param createdAt when it was submitted
 * @param startedAt when its latest execution started, null while queued
 * @param endedAt when its latest execution ended, null while running or queued
 */
public record JobView(String id, JobState state, DistillSpec spec, JobProgress progress, int skippedImages,
		List<String> errors, int executions, Instant createdAt, Instant startedAt, Instant endedAt) {
}
