package ai.phreg;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.image.ImageLoader;
import ai.phreg.image.Preprocessing;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service over real HTTP with an API key: a job goes from POST to a downloaded
 * checkpoint that our own loader reads back and that reproduces the figures the job
 * reported, whether its name's slashes are plain or encoded; unreadable images are
 * skipped and counted; requests without the key and paths outside the allowed roots are
 * refused.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceEndToEndTests {

	private static final String KEY = "end-to-end-secret";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	static Path storage;

	@TempDir
	static Path images;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		try (var photos = Files.list(Fixtures.photos())) {
			for (Path photo : photos.filter((p) -> p.toString().endsWith(".jpg")).sorted().limit(6).toList()) {
				Files.copy(photo, images.resolve(photo.getFileName()));
			}
		}
		Files.writeString(images.resolve("notes.jpg"), "this is not a photograph");
		byte[] jpeg = Files.readAllBytes(Fixtures.photos().resolve("skimage-coffee.jpg"));
		Files.write(images.resolve("truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
		registry.add("phreg.storage-root", () -> storage.toString());
		registry.add("phreg.api-key", () -> KEY);
		registry.add("phreg.allowed-roots", () -> absolute(Fixtures.root()) + "," + absolute(images));
	}

	@LocalServerPort
	int port;

	private final HttpClient http = HttpClient.newHttpClient();

	@Test
	void aJobGoesFromPostToADownloadedCheckpointThatReproducesItsReport() throws Exception {
		// given a small job on a fixture DINOv2 over a folder with two unreadable files
		String body = """
				{"teacher": "%s", "images": "%s", "registers": 4, "views": 3, "batchSize": 2, "steps": 6,
				 "learningRate": 0.001, "checkpointEvery": 3, "evaluationImages": 2, "seed": 3,
				 "exportFormats": ["DINOV2_HF"]}
				""".formatted(absolute(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors")), absolute(images));

		// when it is posted and followed until it completes
		HttpResponse<String> posted = send(post("/api/v1/jobs", body).header("X-API-Key", KEY));
		assertThat(posted.statusCode()).isEqualTo(202);
		String location = posted.headers().firstValue("Location").orElseThrow();
		JsonNode job = awaitState(location, "COMPLETED", Duration.ofMinutes(5));

		// then it trained, skipped and counted the two unreadable images
		assertThat(job.path("progress").path("step").asLong()).isEqualTo(6);
		assertThat(job.path("skippedImages").asInt()).isEqualTo(2);

		// and Prometheus sees the service-wide training meters, with help texts, and
		// Spring Batch's own observations, but no meter of the finished job
		String metrics = send(get("/actuator/prometheus")).body();
		String jobId = job.path("id").asString();
		assertThat(metrics).contains("# HELP phreg_distill_steps_total Optimizer steps trained")
			.containsPattern("phreg_distill_steps_total(\\{[^}]*\\})? 6\\.0")
			.containsPattern("phreg_distill_images_skipped_total(\\{[^}]*\\})? 2\\.0")
			.contains("phreg_distill_teacher_seconds_count")
			.contains("phreg_teacher_loads_total")
			.contains("phreg_process_resident_memory_bytes")
			.contains("phreg_jobs{state=\"COMPLETED\"}")
			.contains("spring_batch_job_seconds")
			.doesNotContain(jobId)
			.doesNotContain("{job=");

		// and its checkpoint downloads intact and loads with its registers
		HttpResponse<byte[]> download = this.http.send(
				get(location + "/artifacts/export/DINOV2_HF/model.safetensors").build(),
				HttpResponse.BodyHandlers.ofByteArray());
		assertThat(download.statusCode()).isEqualTo(200);
		String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.body()));
		assertThat(download.headers().firstValue("ETag")).contains("\"sha256:" + sha256 + "\"");
		// and a client that encodes the name as one path segment gets the same file
		HttpResponse<byte[]> encoded = this.http.send(
				get(location + "/artifacts/export%2FDINOV2_HF%2Fmodel.safetensors").build(),
				HttpResponse.BodyHandlers.ofByteArray());
		assertThat(encoded.statusCode()).isEqualTo(200);
		assertThat(encoded.body()).isEqualTo(download.body());
		Path checkpoint = Files.createDirectories(storage.resolve("downloaded"));
		Files.write(checkpoint.resolve("model.safetensors"), download.body());
		Files.write(checkpoint.resolve("config.json"),
				this.http
					.send(get(location + "/artifacts/export/DINOV2_HF/config.json").build(),
							HttpResponse.BodyHandlers.ofByteArray())
					.body());
		JsonNode report = JSON.readTree(send(get(location + "/artifacts/report.json")).body());
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel student = CheckpointLoader.load(checkpoint, manager);
			assertThat(student.model().config().numRegisters()).isEqualTo(4);

			// and recomputing the evaluation's student median norm gives the reported
			// figure
			JsonNode evaluation = report.path("evaluation");
			double reported = evaluation.path("student").path("medianNorm").asDouble();
			assertThat(medianPatchNorm(student, evaluation, manager)).isCloseTo(reported,
					Offset.offset(reported * 1e-4));
		}
	}

	@Test
	void mutatingRequestsNeedTheKeyAndInputsMustLieUnderAllowedRoots() throws Exception {
		String spec = """
				{"teacher": "demo", "images": "demo", "steps": 1}
				""";
		assertThat(send(post("/api/v1/jobs", spec)).statusCode()).isEqualTo(401);
		assertThat(send(post("/api/v1/jobs", spec).header("X-API-Key", "wrong")).statusCode()).isEqualTo(401);

		String outside = """
				{"teacher": "/etc/passwd", "images": "%s/../../etc", "steps": 1}
				""".formatted(absolute(images));
		HttpResponse<String> refused = send(post("/api/v1/jobs", outside).header("X-API-Key", KEY));
		assertThat(refused.statusCode()).isEqualTo(400);
		assertThat(refused.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("application/problem+json"));
		List<String> fields = new ArrayList<>();
		JSON.readTree(refused.body()).path("errors").forEach((error) -> fields.add(error.path("field").asString()));
		assertThat(fields).contains("teacher", "images");
		assertThat(send(get("/api/v1/jobs")).statusCode()).as("reading needs no key").isEqualTo(200);
	}

	/**
	 * The median norm of the student's patch tokens over the images the evaluation named.
	 */
	private static double medianPatchNorm(LoadedModel student, JsonNode evaluation, NDManager manager)
			throws IOException {
		Preprocessing preprocessing = Preprocessing.square(evaluation.path("resolution").asInt(),
				student.normalization());
		NDList norms = new NDList();
		for (JsonNode name : evaluation.path("images")) {
			if (evaluation.path("skippedImages").has(name.asString())) {
				continue;
			}
			NDArray pixels = preprocessing.toPixelTensor(manager, ImageLoader.read(images.resolve(name.asString())));
			norms.add(student.model()
				.forward(new ParameterStore(manager, false), pixels, false, false)
				.patchTokens()
				.norm(new int[] { -1 })
				.flatten());
		}
		float[] all = NDArrays.concat(norms).toFloatArray();
		Arrays.sort(all);
		return (all.length % 2 == 1) ? all[all.length / 2] : (all[all.length / 2 - 1] + all[all.length / 2]) / 2.0;
	}

	private JsonNode awaitState(String location, String state, Duration timeout) throws Exception {
		Instant deadline = Instant.now().plus(timeout);
		while (true) {
			JsonNode job = JSON.readTree(send(get(location)).body());
			if (job.path("state").asString().equals(state)) {
				return job;
			}
			assertThat(job.path("state").asString()).as("job %s", job).isNotEqualTo("FAILED");
			assertThat(Instant.now()).as("waiting for %s: %s", state, job).isBefore(deadline);
			Thread.sleep(250);
		}
	}

	private HttpRequest.Builder get(String path) {
		return HttpRequest.newBuilder(uri(path)).GET();
	}

	private HttpRequest.Builder post(String path, String json) {
		return HttpRequest.newBuilder(uri(path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json));
	}

	private URI uri(String path) {
		return path.startsWith("http") ? URI.create(path) : URI.create("http://127.0.0.1:" + this.port + path);
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
		return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	static String absolute(Path path) {
		return path.toAbsolutePath().normalize().toString();
	}

}
