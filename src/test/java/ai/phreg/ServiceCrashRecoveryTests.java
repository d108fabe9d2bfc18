package ai.phreg;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.LongStream;

import ai.phreg.job.TrainingHeldUntilStopped;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service process is killed with SIGKILL in the middle of a job; started again on the
 * same storage (and so the same H2 file database), it reports the job FAILED with the
 * reason, and a restart resumes from the last checkpoint and completes.
 */
class ServiceCrashRecoveryTests {

	/**
	 * How long any awaited state may take before the test gives up: a bound for a hung
	 * service, not an expected duration (a busy shared machine runs these steps many
	 * times slower than an idle one).
	 */
	private static final Duration PATIENCE = Duration.ofMinutes(15);

	private static final JsonMapper JSON = JsonMapper.builder().build();

	/** The step the killed service's training is held on. */
	private static final long HELD_STEP = 12;

	@TempDir
	Path storage;

	private Process service;

	private final HttpClient http = HttpClient.newHttpClient();

	@AfterEach
	void killService() {
		if (this.service != null) {
			this.service.destroyForcibly();
		}
	}

	@Test
	void aKilledServiceRecoversItsJobAndTheRestartResumesFromTheLastCheckpoint() throws Exception {
		// given a running job that checkpoints every 5 steps, its training held on step
		// 12 (after the checkpoint at step 10) so that the kill lands there on any
		// machine
		int port = freePort();
		this.service = start(port, "--spring.main.sources=" + TrainingHeldUntilStopped.class.getName(),
				"--" + TrainingHeldUntilStopped.HELD_STEP_PROPERTY + "=" + HELD_STEP);
		await(port, "/actuator/health", (health) -> true, PATIENCE);
		String teacher = Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors")
			.toAbsolutePath()
			.normalize()
			.toString();
		String images = Fixtures.photos().toAbsolutePath().normalize().toString();
		String body = """
				{"teacher": "%s", "images": "%s", "registers": 4, "views": 4, "batchSize": 4, "steps": 40,
				 "checkpointEvery": 5, "evaluationImages": 0, "learningRate": 0.001, "seed": 11}
				""".formatted(teacher, images);
		HttpResponse<String> posted = this.http.send(HttpRequest.newBuilder(uri(port, "/api/v1/jobs"))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(posted.statusCode()).isEqualTo(202);
		String path = URI.create(posted.headers().firstValue("Location").orElseThrow()).getPath();
		String queuedPath = URI
			.create(this.http.send(HttpRequest.newBuilder(uri(port, "/api/v1/jobs"))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(body.replace("\"steps\": 40", "\"steps\": 3")))
				.build(), HttpResponse.BodyHandlers.ofString()).headers().firstValue("Location").orElseThrow())
			.getPath();
		JsonNode running = await(port, path, (job) -> job.path("progress").path("step").asLong() == HELD_STEP,
				PATIENCE);
		assertThat(await(port, queuedPath, (job) -> true, PATIENCE).path("state").asString()).isEqualTo("QUEUED");

		// when the process is killed without warning and started again
		this.service.destroyForcibly().waitFor();
		long stepAtKill = running.path("progress").path("step").asLong();
		this.service = start(port);
		JsonNode recovered = await(port, path, (job) -> job.path("state").asString().equals("FAILED"), PATIENCE);

		// then the steps it recorded up to a checkpoint survived in the database
		List<Long> survived = steps(port, path);
		assertThat(survived).isNotEmpty().hasSizeGreaterThanOrEqualTo((int) ((stepAtKill / 5) * 5));
		assertThat(survived).as("written at checkpoints, every 5 steps")
			.isEqualTo(LongStream.rangeClosed(1, survived.size() / 5 * 5).boxed().toList());

		// and the queued job survived and runs in the freed slot
		await(port, queuedPath, (job) -> job.path("state").asString().equals("COMPLETED"), PATIENCE);

		// then the job is FAILED with the reason, and its restart resumes and completes
		assertThat(recovered.path("errors").toString()).as("%s", recovered)
			.contains("service stopped while this job ran");
		long checkpoint = (stepAtKill / 5) * 5;
		Instant restartedAt = Instant.now();
		assertThat(this.http.send(
				HttpRequest.newBuilder(uri(port, path + "/restart")).POST(HttpRequest.BodyPublishers.noBody()).build(),
				HttpResponse.BodyHandlers.ofString())
			.statusCode()).isEqualTo(202);
		long[] firstStepAfterRestart = { Long.MAX_VALUE };
		JsonNode completed = await(port, path, (job) -> {
			JsonNode progress = job.path("progress");
			if (Instant.parse(progress.path("updatedAt").asString()).isAfter(restartedAt)) {
				firstStepAfterRestart[0] = Math.min(firstStepAfterRestart[0], progress.path("step").asLong());
			}
			return job.path("state").asString().equals("COMPLETED");
		}, PATIENCE);
		assertThat(completed.path("progress").path("step").asLong()).isEqualTo(40);
		assertThat(completed.path("executions").asInt()).isEqualTo(2);
		assertThat(firstStepAfterRestart[0]).as("first step seen after the restart (checkpoint at %d)", checkpoint)
			.isGreaterThan(checkpoint);

		// and the history holds each of the 40 steps once, those trained again after the
		// checkpoint replacing the ones the killed run recorded
		assertThat(steps(port, path)).isEqualTo(LongStream.rangeClosed(1, 40).boxed().toList());
	}

	private List<Long> steps(int port, String path) throws IOException, InterruptedException {
		JsonNode history = JSON.readTree(this.http
			.send(HttpRequest.newBuilder(uri(port, path + "/history")).build(), HttpResponse.BodyHandlers.ofString())
			.body());
		List<Long> steps = new ArrayList<>();
		history.forEach((record) -> steps.add(record.path("step").asLong()));
		return steps;
	}

	/**
	 * Starts the service on {@code port} with {@code arguments} besides the test's; its
	 * output goes to {@code service.log} in the storage root (written into the test's own
	 * output it would garble Surefire's channel).
	 */
	private Process start(int port, String... arguments) throws IOException {
		List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
				System.getProperty("java.class.path"), "-Dai.djl.offline=true", PhregApplication.class.getName(),
				"--server.port=" + port, "--phreg.storage-root=" + this.storage,
				"--phreg.allowed-roots=" + Fixtures.root().toAbsolutePath().normalize() + ","
						+ Fixtures.photos().toAbsolutePath().normalize(),
				"--logging.level.root=WARN"));
		command.addAll(List.of(arguments));
		return new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(this.storage.resolve("service.log").toFile()))
			.start();
	}

	private JsonNode await(int port, String path, Predicate<JsonNode> condition, Duration timeout) throws Exception {
		Instant deadline = Instant.now().plus(timeout);
		while (true) {
			assertThat(this.service.isAlive()).as("service process alive; its log:%n%s", serviceLog()).isTrue();
			try {
				HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(uri(port, path)).GET().build(),
						HttpResponse.BodyHandlers.ofString());
				if (response.statusCode() == 200) {
					JsonNode job = JSON.readTree(response.body());
					if (condition.test(job)) {
						return job;
					}
				}
			}
			catch (IOException ex) {
				// Not listening yet: the service is still starting.
			}
			assertThat(Instant.now()).as("waiting on %s", path).isBefore(deadline);
			Thread.sleep(100);
		}
	}

	private String serviceLog() throws IOException {
		Path log = this.storage.resolve("service.log");
		return Files.isRegularFile(log) ? Files.readString(log) : "";
	}

	private static URI uri(int port, String path) {
		return URI.create("http://127.0.0.1:" + port + path);
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
