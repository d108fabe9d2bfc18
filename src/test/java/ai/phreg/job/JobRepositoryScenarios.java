package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.distill.FamilyProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code distillJob} through {@link JobService}, on whichever job repository a subclass
 * configures: a demo job runs to completion and exports a loadable student; a stopped job
 * restarts from its checkpoint.
 */
abstract class JobRepositoryScenarios {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	static Path storage;

	static void storage(DynamicPropertyRegistry registry) {
		registry.add("phreg.storage-root", () -> storage.toString());
		registry.add("phreg.allowed-roots", () -> absolute(Fixtures.root()) + "," + absolute(Fixtures.photos()) + ","
				+ absolute(storage.resolve("models")));
	}

	@Autowired
	JobService jobs;

	@Test
	void demoJobRunsToCompletionAndExportsAStudentWithRegisters() throws Exception {
		// given a small job on the demo teacher and the bundled photos
		DistillSpec spec = new DistillSpec("demo", "demo", 4, Unlock.DEFAULT, List.of(), 2, 0.15, null, 2, null, 3L,
				1e-3, 1e-4, 0.01, 1, "cpu", 2, List.of(), 1, null, false, null, null);

		// when it is submitted
		JobView submitted = this.jobs.submit(spec, null);
		JobView done = awaitState(submitted.id(), JobState.COMPLETED, Duration.ofMinutes(5));

		// then it trained the requested steps and left a report, pictures and a loadable
		// student
		assertThat(done.progress().step()).isEqualTo(3);
		assertThat(done.errors()).isEmpty();
		List<String> names = this.jobs.artifacts(submitted.id()).stream().map(ArtifactView::name).toList();
		assertThat(names).contains("report.json", "evaluation.json", "export/DINOV2_HUB/model.safetensors",
				"export/DINOV2_HUB/model.config.json");
		assertThat(names).anyMatch((name) -> name.startsWith("pictures/") && name.endsWith(".png"));
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel student = CheckpointLoader
				.load(this.jobs.artifact(submitted.id(), "export/DINOV2_HUB/model.safetensors"), manager);
			assertThat(student.model().config().numRegisters()).isEqualTo(4);
		}

		// and its history holds every step, the last one the step its progress shows
		List<StepRecord> history = this.jobs.history(submitted.id());
		assertThat(history).extracting(StepRecord::step).containsExactly(1L, 2L, 3L);
		StepRecord last = history.get(history.size() - 1);
		assertThat(last.loss()).isEqualTo(done.progress().loss());
		assertThat(last.learningRate()).isEqualTo(done.progress().learningRate());
		assertThat(history).allSatisfy((step) -> assertThat(step.teacherMillis()).isPositive());

		// and the report carries the history and the results the job view shows, which
		// are the evaluation's figures
		JsonNode report = JSON.readTree(Files.readString(this.jobs.artifact(submitted.id(), "report.json")));
		assertThat(report.path("history")).hasSize(3);
		assertThat(report.path("history").path(2).path("loss").floatValue()).isEqualTo(last.loss());
		JobResults results = done.results();
		assertThat(results).isNotNull();
		assertThat(results.images()).isEqualTo(1);
		JsonNode evaluation = report.path("evaluation");
		assertThat(results.teacher().maxToMedianRatio())
			.isEqualTo(evaluation.path("teacher").path("maxToMedianRatio").asDouble());
		assertThat(results.student().neighbourCosine())
			.isEqualTo(evaluation.path("student").path("neighbourCosine").asDouble());
		assertThat(report.path("results").path("student").path("normVariance").asDouble())
			.isEqualTo(results.student().normVariance());
		assertThat(evaluation.path("pictures")).isNotEmpty();
		JsonNode picture = evaluation.path("pictures").path(0);
		assertThat(names).contains(picture.path("artifact").asString());
		assertThat(picture.path("normMax").asDouble()).isGreaterThanOrEqualTo(picture.path("teacherMaxNorm").asDouble())
			.isGreaterThanOrEqualTo(picture.path("studentMaxNorm").asDouble());
	}

	@Test
	void aQueuedJobWhoseCheckpointBrokeMeanwhileFailsWithTheLoadersMessage() throws Exception {
		// given a long job training on a teacher file of its own, holding the only device
		// slot, and a second job queued behind it on another copy of the teacher
		Path runningTeacher = copyOfTeacher("running-teacher.safetensors");
		Path queuedTeacher = copyOfTeacher("queued-teacher.safetensors");
		JobView running = this.jobs.submit(tinyJob(absolute(runningTeacher), 10_000L), null);
		JobAwaiting.await(this.jobs, running.id(),
				(view) -> view.phase() == JobPhase.DISTILL && view.progress() != null, Duration.ofMinutes(2));
		JobView queued = this.jobs.submit(tinyJob(absolute(queuedTeacher), 2L), null);
		assertThat(this.jobs.get(queued.id()).state()).isEqualTo(JobState.QUEUED);

		// when its checkpoint is truncated while it waits, and the slot frees up
		byte[] bytes = Files.readAllBytes(queuedTeacher);
		Files.write(queuedTeacher, Arrays.copyOf(bytes, bytes.length / 2));
		this.jobs.stop(running.id());
		awaitState(running.id(), JobState.STOPPED, Duration.ofMinutes(1));

		// then it runs and fails, and its errors carry the loader's message
		JobView failed = JobAwaiting.awaitEvenIfFailed(this.jobs, queued.id(),
				(view) -> view.state() == JobState.FAILED, Duration.ofMinutes(2));
		assertThat(String.join("\n", failed.errors())).contains("queued-teacher.safetensors");
	}

	@Test
	void theDefaultsFitTheDataTheyAreGiven() throws Exception {
		// given the demo teacher and its five photos, with no held-out count, batch size
		// or learning rate
		DistillSpec spec = new DistillSpec("demo", "demo", 4, Unlock.DEFAULT, List.of(), 2, 0.15, null, 8, null, 5L,
				null, null, 0.01, 1, "cpu", 2, List.of(), null, null, false, null, null);

		// when it runs
		JobView done = awaitState(this.jobs.submit(spec, null).id(), JobState.COMPLETED, Duration.ofMinutes(5));

		// then it held one photo out, trained exactly its steps and shows the family's
		// rates
		assertThat(done.progress().step()).isEqualTo(5);
		assertThat(done.progress().totalSteps()).isEqualTo(5);
		assertThat(done.progress().etaSeconds()).as("no ETA once ended").isNull();
		assertThat(done.phase()).isEqualTo(JobPhase.EXPORT);
		assertThat(done.settings().learningRate()).isEqualTo(FamilyProfile.DINOV2_HUB.learningRate());
		assertThat(done.settings().steps()).isEqualTo(5);
		assertThat(done.progress().learningRate()).isCloseTo((float) FamilyProfile.DINOV2_HUB.endLearningRate(),
				within(1e-9f));
	}

	@Test
	void anExportFormatTheFamilyCannotBeWrittenToIsRefusedAtSubmission() throws Exception {
		DistillSpec spec = new DistillSpec(absolute(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors")),
				absolute(Fixtures.photos()), 4, Unlock.DEFAULT, List.of(), 2, 0.25, 112, 2, null, 2L, 1e-3, 1e-4, 0.01,
				5, "cpu", 50, List.of(CheckpointFormat.TIMM, CheckpointFormat.CLIP_OPENAI), 0, null, false, null, null);

		assertThatExceptionOfType(InvalidSpecException.class).isThrownBy(() -> this.jobs.submit(spec, null))
			.satisfies((ex) -> assertThat(ex.fieldErrors()).containsOnlyKeys("exportFormats[1]"));
	}

	@Test
	void aTeacherWithoutItsConfigRunsOnlyOnceItsHeadCountIsGiven() throws Exception {
		// given teacher weights without the config that says how many heads they have
		Path weights = storage.resolve("models/headless-teacher.safetensors");
		Files.createDirectories(weights.getParent());
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), weights);

		// when it is submitted without a head count, then the teacher field says to give
		// one
		assertThatExceptionOfType(InvalidSpecException.class)
			.isThrownBy(() -> this.jobs.submit(headlessJob(absolute(weights), null), null))
			.satisfies((ex) -> assertThat(ex.fieldErrors()).containsOnlyKeys("teacher")
				.hasEntrySatisfying("teacher", (message) -> assertThat(message).contains("heads")));

		// and with the head count it trains exactly its steps
		JobView done = awaitState(this.jobs.submit(headlessJob(absolute(weights), 3), null).id(), JobState.COMPLETED,
				Duration.ofMinutes(5));
		assertThat(done.progress().step()).isEqualTo(2);
	}

	private static DistillSpec headlessJob(String teacher, Integer heads) {
		return new DistillSpec(teacher, absolute(Fixtures.photos()), 4, Unlock.DEFAULT, List.of(), 2, 0.25, 112, 2,
				null, 2L, 1e-3, 1e-4, 0.01, 5, "cpu", 50, List.of(), 0, heads, false, null, null);
	}

	@Test
	void deterministicJobsOfTheSameSpecExportTheSameBytes() throws Exception {
		// given two deterministic jobs of one spec, each on its own copy of the teacher
		DistillSpec first = deterministicJob(absolute(copyOfTeacher("deterministic-a.safetensors")));
		DistillSpec second = deterministicJob(absolute(copyOfTeacher("deterministic-b.safetensors")));

		// when both run to completion
		String a = awaitState(this.jobs.submit(first, null).id(), JobState.COMPLETED, Duration.ofMinutes(5)).id();
		String b = awaitState(this.jobs.submit(second, null).id(), JobState.COMPLETED, Duration.ofMinutes(5)).id();

		// then the spec says so and their students' tensors are bit-identical (the
		// metadata names each job)
		assertThat(this.jobs.get(a).spec().deterministic()).isTrue();
		try (SafetensorsReader studentA = SafetensorsReader
			.open(this.jobs.artifact(a, "export/DINOV2_HUB/model.safetensors"));
				SafetensorsReader studentB = SafetensorsReader
					.open(this.jobs.artifact(b, "export/DINOV2_HUB/model.safetensors"))) {
			assertThat(studentB.names()).isEqualTo(studentA.names());
			for (String name : studentA.names()) {
				assertThat(studentB.readBytes(name)).as(name).isEqualTo(studentA.readBytes(name));
			}
		}
	}

	private static DistillSpec deterministicJob(String teacher) {
		return new DistillSpec(teacher, absolute(Fixtures.photos()), 4, Unlock.DEFAULT, List.of(), 2, 0.25, 112, 2,
				null, 4L, 1e-3, 1e-4, 0.01, 11, "cpu", 2, List.of(), 0, null, true, null, null);
	}

	@Test
	void aJobStopsAsSoonAsItIsLaunched() throws Exception {
		// given a job the dispatcher launched, whichever step it is in
		JobView submitted = this.jobs.submit(tinyJob(absolute(copyOfTeacher("stopped-teacher.safetensors")), 10_000L),
				null);
		JobAwaiting.await(this.jobs, submitted.id(), (view) -> view.state().isActive(), Duration.ofMinutes(2));

		// when it is stopped
		JobView stopping = this.jobs.stop(submitted.id());

		// then the stop is accepted and the job ends STOPPED
		assertThat(stopping.state()).isIn(JobState.STOPPING, JobState.STOPPED);
		awaitState(submitted.id(), JobState.STOPPED, Duration.ofMinutes(2));
	}

	private static Path copyOfTeacher(String name) throws IOException {
		Path teacher = storage.resolve("models").resolve(name);
		Files.createDirectories(teacher.getParent());
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), teacher);
		// The head count is in the config beside the weights; it is never guessed.
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.config.json"),
				teacher.resolveSibling(name.replace(".safetensors", ".config.json")));
		return teacher;
	}

	private static DistillSpec tinyJob(String teacher, long steps) {
		return new DistillSpec(teacher, absolute(Fixtures.photos()), 4, Unlock.DEFAULT, List.of(), 2, 0.25, 112, 2,
				null, steps, 1e-3, 1e-4, 0.01, 5, "cpu", 50, List.of(), 0, null, false, null, null);
	}

	@Test
	void aStoppedJobRestartsFromItsLastCheckpoint() throws Exception {
		// given a job on a tiny fixture teacher that checkpoints every 3 steps
		DistillSpec spec = new DistillSpec(absolute(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors")),
				absolute(Fixtures.photos()), 4, Unlock.DEFAULT, List.of(), 2, 0.25, 112, 2, null, 400L, 1e-3, 1e-4,
				0.01, 7, "cpu", 3, List.of(), 0, null, false, null, null);
		JobView submitted = this.jobs.submit(spec, "restart-test");
		List<Long> steps = new CopyOnWriteArrayList<>();
		List<JobState> statesAfterRestart = new CopyOnWriteArrayList<>();
		AtomicReference<Instant> restartedAt = new AtomicReference<>(Instant.MAX);
		try (AutoCloseable subscription = this.jobs.subscribe(submitted.id(), (view) -> {
			if (view.progress() != null && view.progress().updatedAt().isAfter(restartedAt.get())) {
				steps.add(view.progress().step());
			}
			if (Instant.now().isAfter(restartedAt.get())) {
				statesAfterRestart.add(view.state());
			}
		})) {
			JobAwaiting.await(this.jobs, submitted.id(),
					(view) -> view.progress() != null && view.progress().step() >= 4, Duration.ofMinutes(2));

			// when it is stopped and restarted
			this.jobs.stop(submitted.id());
			long stoppedAt = awaitState(submitted.id(), JobState.STOPPED, Duration.ofMinutes(1)).progress().step();
			restartedAt.set(Instant.now());
			this.jobs.restart(submitted.id());
			JobAwaiting.await(this.jobs, submitted.id(), (view) -> view.progress().step() > stoppedAt + 2,
					Duration.ofMinutes(2));
			this.jobs.stop(submitted.id());
			awaitState(submitted.id(), JobState.STOPPED, Duration.ofMinutes(1));

			// then training continued after the checkpoint written when it stopped
			assertThat(steps).isNotEmpty();
			assertThat(steps.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(stoppedAt + 1);
			assertThat(this.jobs.get(submitted.id()).executions()).isEqualTo(2);

			// and its history holds each step of both executions once, in order
			long finalStep = this.jobs.get(submitted.id()).progress().step();
			assertThat(this.jobs.history(submitted.id())).extracting(StepRecord::step)
				.containsExactlyElementsOf(LongStream.rangeClosed(1, finalStep).boxed().toList());

			// and after the restart its state only moved forward (the stop's own
			// notification may still arrive first)
			assertThat(statesAfterRestart.stream().dropWhile((state) -> state == JobState.STOPPED).toList())
				.isSortedAccordingTo(Comparator.comparing(JobRepositoryScenarios::rank));
		}
	}

	/** Where a state lies on the way from QUEUED to STOPPED. */
	private static int rank(JobState state) {
		return List.of(JobState.QUEUED, JobState.STARTING, JobState.STARTED, JobState.STOPPING, JobState.STOPPED)
			.indexOf(state);
	}

	/**
	 * Users name inputs by absolute path; relative ones may not climb with {@code ..}.
	 */
	static String absolute(Path path) {
		return path.toAbsolutePath().normalize().toString();
	}

	private JobView awaitState(String id, JobState state, Duration timeout) throws InterruptedException {
		return JobAwaiting.await(this.jobs, id, (view) -> view.state() == state, timeout);
	}

}
