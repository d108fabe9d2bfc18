package ai.phreg.job;

import java.nio.file.Files;
import java.util.List;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.FamilyProfile;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each step of {@code distillJob} on its own, as Spring Batch's test utilities launch it:
 * what it reads, what it leaves for the next step, how it fails or stops.
 */
class DistillJobStepTests extends SynchronousJobTests {

	@Autowired
	ResolvedJobs resolved;

	@Autowired
	JobFolders folders;

	@Autowired
	RunningJobs running;

	@Autowired
	MeterRegistry meters;

	@Test
	void validateFailsWithTheFieldsToChange() {
		String jobId = submit(spec(STORAGE.resolve("no-such-folder").toString()));

		StepRun validate = step(JobPhase.VALIDATE, jobId);

		assertThat(validate.status()).isEqualTo(BatchStatus.FAILED);
		assertThat(validate.exitDescription()).contains("images");
	}

	@Test
	void prepareResolvesTheJobOnceForTheLaterSteps() throws Exception {
		String jobId = submit(spec("demo"));

		StepRun prepare = step(JobPhase.PREPARE, jobId);

		assertThat(prepare.status()).isEqualTo(BatchStatus.COMPLETED);
		ResolvedJob job = this.resolved.read(jobId);
		assertThat(job.family()).isEqualTo(CheckpointFormat.DINOV2_HUB);
		assertThat(job.evaluationImages()).as("one of the five demo photos").isEqualTo(1);
		assertThat(job.trainingImages()).isEqualTo(4);
		assertThat(job.settings().steps()).isEqualTo(3);
		assertThat(job.settings().learningRate()).isEqualTo(FamilyProfile.DINOV2_HUB.learningRate());
	}

	@Test
	void distillEvaluateAndExportEachLoadTheTeacherAtMostOnce() throws Exception {
		String jobId = submit(spec("demo"));
		step(JobPhase.PREPARE, jobId);
		double loadsBefore = teacherLoads();

		assertThat(step(JobPhase.DISTILL, jobId).status()).isEqualTo(BatchStatus.COMPLETED);
		assertThat(teacherLoads() - loadsBefore).isEqualTo(1);
		assertThat(this.folders.student(jobId, CheckpointFormat.DINOV2_HUB)).isRegularFile();

		assertThat(step(JobPhase.EVALUATE, jobId).status()).isEqualTo(BatchStatus.COMPLETED);
		assertThat(teacherLoads() - loadsBefore).isEqualTo(2);
		assertThat(this.folders.evaluation(jobId)).isRegularFile();

		assertThat(step(JobPhase.EXPORT, jobId).status()).isEqualTo(BatchStatus.COMPLETED);
		assertThat(teacherLoads() - loadsBefore).as("export needs no teacher").isEqualTo(2);
		assertThat(this.folders.export(jobId, CheckpointFormat.DINOV2_HUB)).isRegularFile();
		assertThat(Files.readString(this.folders.report(jobId))).contains("\"learningRate\" : 1.0E-4")
			.contains("\"family\" : \"DINOV2_HUB\"");
	}

	@Test
	void aStopRequestEndsAnyStepBeforeItWorks() {
		String jobId = submit(spec("demo"));
		this.running.requestStop(jobId);

		StepRun prepare = step(JobPhase.PREPARE, jobId);

		assertThat(prepare.status()).isEqualTo(BatchStatus.STOPPED);
		assertThat(this.folders.resolved(jobId)).doesNotExist();
	}

	private double teacherLoads() {
		return this.meters.get("phreg.teacher.loads").counter().count();
	}

	private static DistillSpec spec(String images) {
		return new DistillSpec("demo", images, 4, Unlock.DEFAULT, List.of(), 2, 0.15, null, 4, null, 3L, null, null,
				0.01, 1, "cpu", 2, List.of(), null, null, false, null, null);
	}

}
