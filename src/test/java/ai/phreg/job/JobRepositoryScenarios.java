package ai.phreg.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code distillJob} through {@link JobService}, on whichever job repository a subclass
 * configures: a demo job runs to completion and exports a loadable student; a stopped job
 * restarts from its checkpoint.
 */
abstract class JobRepositoryScenarios {

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
		DistillSpec spec = new DistillSpec("demo", "demo", 4, "default", List.of(), 2, 0.15, null, 2, null, 3L, 1e-3,
				1e-4, 0.01, 1, "cpu", 2, List.of(), 1);

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
	}

	@Test
	void aQueuedJobWhoseCheckpointBrokeMeanwhileFailsWithTheLoadersMessage() throws Exception {
		// given a long job holding the only device slot and a second job queued behind it
		Path teacher = storage.resolve("models/queued-teacher.safetensors");
		Files.createDirectories(teacher.getParent());
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), teacher);
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.config.json"),
				storage.resolve("models/queued-teacher.config.json"));
		JobView running = this.jobs.submit(tinyJob(absolute(teacher), 10_000L), null);
		await(running.id(), (view) -> view.state() == JobState.STARTED, Duration.ofMinutes(2));
		JobView queued = this.jobs.submit(tinyJob(absolute(teacher), 2L), null);
		assertThat(this.jobs.get(queued.id()).state()).isEqualTo(JobState.QUEUED);

		// when its checkpoint is truncated while it waits, and the slot frees up
		byte[] bytes = Files.readAllBytes(teacher);
		Files.write(teacher, Arrays.copyOf(bytes, bytes.length / 2));
		this.jobs.stop(running.id());
		awaitState(running.id(), JobState.STOPPED, Duration.ofMinutes(1));

		// then it runs and fails, and its errors carry the loader's message
		JobView failed = await(queued.id(), (view) -> view.state() == JobState.FAILED, Duration.ofMinutes(2), false);
		assertThat(String.join("\n", failed.errors())).contains("queued-teacher.safetensors");
	}

	private static DistillSpec tinyJob(String teacher, long steps) {
		return new DistillSpec(teacher, absolute(Fixtures.photos()), 4, "default", List.of(), 2, 0.25, 112, 2, null,
				steps, 1e-3, 1e-4, 0.01, 5, "cpu", 50, List.of(), 0);
	}

	@Test
	void aStoppedJobRestartsFromItsLastCheckpoint() throws Exception {
		// given a job on a tiny fixture teacher that checkpoints every 3 steps
		DistillSpec spec = new DistillSpec(absolute(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors")),
				absolute(Fixtures.photos()), 4, "default", List.of(), 2, 0.25, 112, 2, null, 400L, 1e-3, 1e-4, 0.01, 7,
				"cpu", 3, List.of(), 0);
		JobView submitted = this.jobs.submit(spec, "restart-test");
		List<Long> steps = new CopyOnWriteArrayList<>();
		AtomicReference<Instant> restartedAt = new AtomicReference<>(Instant.MAX);
		try (AutoCloseable subscription = this.jobs.subscribe(submitted.id(), (view) -> {
			if (view.progress() != null && view.progress().updatedAt().isAfter(restartedAt.get())) {
				steps.add(view.progress().step());
			}
		})) {
			await(submitted.id(), (view) -> view.progress() != null && view.progress().step() >= 4,
					Duration.ofMinutes(2));

			// when it is stopped and restarted
			this.jobs.stop(submitted.id());
			long stoppedAt = awaitState(submitted.id(), JobState.STOPPED, Duration.ofMinutes(1)).progress().step();
			restartedAt.set(Instant.now());
			this.jobs.restart(submitted.id());
			await(submitted.id(), (view) -> view.progress().step() > stoppedAt + 2, Duration.ofMinutes(2));
			this.jobs.stop(submitted.id());
			awaitState(submitted.id(), JobState.STOPPED, Duration.ofMinutes(1));

			// then training continued after the checkpoint written when it stopped
			assertThat(steps).isNotEmpty();
			assertThat(steps.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(stoppedAt + 1);
			assertThat(this.jobs.get(submitted.id()).executions()).isEqualTo(2);
		}
	}

	/**
	 * Users name inputs by absolute path; relative ones may not climb with {@code ..}.
	 */
	static String absolute(Path path) {
		return path.toAbsolutePath().normalize().toString();
	}

	private JobView awaitState(String id, JobState state, Duration timeout) throws InterruptedException {
		return await(id, (view) -> view.state() == state, timeout);
	}

	private JobView await(String id, Predicate<JobView> condition, Duration timeout) throws InterruptedException {
		return await(id, condition, timeout, true);
	}

	private JobView await(String id, Predicate<JobView> condition, Duration timeout, boolean failOnFailure)
			throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		JobView view = this.jobs.get(id);
		while (!condition.test(view)) {
			assertThat(Instant.now()).as("waiting for job %s, now %s %s", id, view.state(), view.errors())
				.isBefore(deadline);
			if (failOnFailure) {
				assertThat(view.state()).as("job %s failed: %s", id, view.errors()).isNotEqualTo(JobState.FAILED);
			}
			Thread.sleep(200);
			view = this.jobs.get(id);
		}
		return view;
	}

}
