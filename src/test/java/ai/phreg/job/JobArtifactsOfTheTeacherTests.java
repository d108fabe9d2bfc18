package ai.phreg.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import ai.phreg.FixtureCheckpoint;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.StateDict;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.image.HandBuiltPng;
import ai.phreg.imagesource.SkippedImage;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a job's outputs keep of what went into it: the teacher's mask token, byte for
 * byte, in every export, and each training image it went without, by name with the
 * reason, in the job view and the report.
 */
class JobArtifactsOfTheTeacherTests extends SynchronousJobTests {

	private static final List<String> PHOTOS = List.of("skimage-chelsea.jpg", "skimage-coffee.jpg",
			"skimage-rocket.jpg", "skimage-astronaut.jpg");

	@Autowired
	JobFolders folders;

	@Autowired
	JsonMapper json;

	@Test
	void everyExportOfAJobCarriesTheTeachersMaskTokenBitIdentical() throws Exception {
		// given a DINOv2 teacher with a trained mask token, exported in both layouts
		Path teacher = teacher("masked-teacher.safetensors");
		ByteBuffer teacherMask;
		try (SafetensorsReader reader = SafetensorsReader.open(teacher)) {
			teacherMask = reader.readBytes("mask_token");
			assertThat(reader.readFloats("mask_token")).as("a trained, non-zero mask token").doesNotContain(0f);
		}
		String jobId = submit(spec(teacher, photos("photos"), 2, "\"DINOV2_HUB\", \"DINOV2_HF\""));

		// when the job trains and exports
		runThroughExport(jobId);

		// then the student and every export hold the teacher's mask token as stored
		assertThat(maskToken(this.folders.student(jobId, CheckpointFormat.DINOV2_HUB))).isEqualTo(teacherMask);
		assertThat(maskToken(this.folders.export(jobId, CheckpointFormat.DINOV2_HUB))).isEqualTo(teacherMask);
		assertThat(maskToken(this.folders.export(jobId, CheckpointFormat.DINOV2_HF))).isEqualTo(teacherMask);
	}

	@Test
	void theViewAndTheReportNameEverySkippedImageWithItsReason() throws Exception {
		// given good photos beside a truncated JPEG, a GIF and a PNG too large to decode
		Path images = photos("mixed");
		byte[] jpeg = Files.readAllBytes(images.resolve(PHOTOS.get(0)));
		Files.write(images.resolve("half.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
		Files.writeString(images.resolve("animation.gif"), "GIF89a");
		Files.write(images.resolve("huge.png"), HandBuiltPng.black(8000, 8000));
		String jobId = submit(spec(teacher("teacher.safetensors"), images, 6, "\"DINOV2_HUB\""));

		// when the job trains over every image and exports
		runThroughExport(jobId);

		// then the view (from the progress written to the job folder) names each
		List<SkippedImage> expected = List.of(
				new SkippedImage("animation.gif", "unsupported format GIF; use JPEG or PNG"),
				new SkippedImage("half.jpg", "truncated JPEG (the data ends before the end-of-image marker)"),
				new SkippedImage("huge.png",
						"the image is 8000x8000 pixels (64.0 megapixels), over the limit of 40.0; scale it down"));
		JobView view = this.jobs.get(jobId);
		assertThat(view.skippedImages()).isEqualTo(3);
		assertThat(view.skipped()).containsExactlyElementsOf(expected);

		// and so does report.json
		JsonNode training = this.json.readTree(Files.readString(this.folders.report(jobId))).path("training");
		assertThat(training.path("skipped").asInt()).isEqualTo(3);
		assertThat(this.json.treeToValue(training.path("skippedImages"), SkippedImage[].class))
			.containsExactlyElementsOf(expected);
	}

	@Test
	void theViewAndTheReportNameTheTeachersFamilyAndLayout() throws Exception {
		// given a DINOv3 teacher in Hugging Face's layout, the first the fixture sets
		// hold
		Path teacher = firstFixtureOf(CheckpointFormat.DINOV3_HF);
		String jobId = submit(spec(teacher, photos("photos-dinov3"), 1, "\"DINOV3_HF\""));
		assertThat(this.jobs.get(jobId).teacher()).as("unknown before the job is prepared").isNull();

		// when the job trains and exports
		runThroughExport(jobId);

		// then the view and report.json name its family and layout
		TeacherFamily expected = new TeacherFamily(CheckpointFormat.DINOV3_HF, "DINOv3",
				"DINOv3, Hugging Face transformers key names");
		assertThat(this.jobs.get(jobId).teacher()).isEqualTo(expected);
		JsonNode report = this.json.readTree(Files.readString(this.folders.report(jobId)));
		assertThat(this.json.treeToValue(report.path("teacher"), TeacherFamily.class)).isEqualTo(expected);
	}

	/**
	 * The first fixture checkpoint of {@code format}, copied with its folder under the
	 * storage root, the only root jobs here may name.
	 */
	private static Path firstFixtureOf(CheckpointFormat format) throws IOException {
		for (FixtureCheckpoint fixture : FixtureCheckpoint.allSets()) {
			try (StateDict dict = StateDict.open(fixture.location())) {
				if (CheckpointLoader.convert(dict).format() == format) {
					Path copy = STORAGE.resolve("models").resolve(fixture.location().getFileName());
					FileSystemUtils.copyRecursively(fixture.location(), copy);
					return copy;
				}
			}
		}
		throw new AssertionError("No fixture set holds a " + format + " checkpoint");
	}

	private void runThroughExport(String jobId) {
		for (JobPhase phase : List.of(JobPhase.PREPARE, JobPhase.DISTILL, JobPhase.EXPORT)) {
			assertThat(step(phase, jobId).status()).as(phase.name()).isEqualTo(BatchStatus.COMPLETED);
		}
	}

	private static ByteBuffer maskToken(Path checkpoint) throws IOException {
		Path file = checkpoint;
		if (Files.isDirectory(checkpoint)) {
			try (Stream<Path> files = Files.list(checkpoint)) {
				file = files.filter((path) -> path.toString().endsWith(".safetensors")).findFirst().orElseThrow();
			}
		}
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			String name = reader.names().stream().filter((key) -> key.endsWith("mask_token")).findFirst().orElseThrow();
			return reader.readBytes(name);
		}
	}

	private static Path teacher(String name) throws IOException {
		Path teacher = STORAGE.resolve("models").resolve(name);
		Files.createDirectories(teacher.getParent());
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), teacher);
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.config.json"),
				teacher.resolveSibling(name.replace(".safetensors", ".config.json")));
		return teacher;
	}

	private static Path photos(String name) throws IOException {
		Path folder = Files.createDirectories(STORAGE.resolve(name));
		for (String photo : PHOTOS) {
			Files.copy(Fixtures.photos().resolve(photo), folder.resolve(photo));
		}
		return folder;
	}

	/**
	 * A tiny job without held-out images, read as a request would be (so that it holds
	 * whichever fields the spec gains).
	 */
	private DistillSpec spec(Path teacher, Path images, long steps, String exportFormats) {
		String request = """
				{"teacher": "%s", "images": "%s", "registers": 4, "unlock": "%s", "views": 2,
				 "shiftFraction": 0.25, "resolution": 112, "batchSize": 2, "steps": %d, "learningRate": 1e-3,
				 "endLearningRate": 1e-4, "weightDecay": 0.01, "seed": 5, "device": "cpu", "checkpointEvery": 50,
				 "exportFormats": [%s], "evaluationImages": 0}
				""".formatted(teacher.toAbsolutePath(), images.toAbsolutePath(),
				this.json.convertValue(Unlock.DEFAULT, String.class), steps, exportFormats);
		return this.json.readValue(request, DistillSpec.class);
	}

}
