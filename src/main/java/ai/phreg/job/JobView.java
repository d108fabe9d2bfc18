package ai.phreg.job;

import java.time.Instant;
import java.util.List;

import ai.phreg.distill.DistillSettings;
import ai.phreg.imagesource.SkippedImage;

/**
 * A job as the API shows it.
 *
 * @param id the job id
 * @param kind what the job does
 * @param state where the job is
 * @param phase the step the latest execution runs or ran last, null before its first
 * @param spec what was asked for
 * @param settings the settings in effect, defaults filled in, once the job is prepared
 * @param teacher the teacher's family and checkpoint layout, once the job is prepared
 * @param progress the latest progress, null before training started; without an ETA
 * unless the job is active
 * @param skippedImages how many images were skipped: left out when the source was scanned
 * or unreadable in training or evaluation
 * @param errors error messages of failed executions, newest last
 * @param executions how many times the job was launched (1 + restarts)
 * @param createdAt when it was submitted
 * @param startedAt when its latest execution started, null while queued
 * @param endedAt when its latest execution ended, null while running or queued
 * @param skipped the first skipped images (up to 100 of {@code skippedImages}) by name,
 * with the reason
 * @param results teacher against student on the held-out images, null until the job was
 * evaluated
 * @param registerNeurons the register neurons found, once an analyze job or a
 * distillation with test-time registers found them; null otherwise
 * @param analysis an analyze job's findings, null until written and for distillations
 */
public record JobView(String id, JobKind kind, JobState state, JobPhase phase, DistillSpec spec,
		DistillSettings settings, TeacherFamily teacher, JobProgress progress, int skippedImages, List<String> errors,
		int executions, Instant createdAt, Instant startedAt, Instant endedAt, List<SkippedImage> skipped,
		JobResults results, RegisterNeuronReport registerNeurons, Analysis analysis) {
}
