package ai.phreg.distill;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.imagesource.ImageFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trainer on a tiny real teacher (the fixture DINOv2) and the bundled photos: what it
 * trains, what it leaves alone, how it reports, and that a saved run resumes bit for bit,
 * also in a new JVM.
 */
class DistillerTests {

	/** Two epochs of the 36 fixture photos at batch 4. */
	static final DistillSettings SETTINGS = settings(DistillSettings.stepsOfEpochs(2, 36, 4));

	@TempDir
	Path temp;

	static LoadedModel teacher(NDManager manager) throws IOException {
		return CheckpointLoader.load(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), manager);
	}

	@Test
	void trainsTheUnlockedParametersAndLeavesEveryOtherBitAlone() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = teacher(manager);
			try (Distiller distiller = new Distiller(SETTINGS, teacher, ImageFolder.scan(Fixtures.photos()), manager)) {
				Map<String, float[]> before = values(distiller);

				distiller.run(3, (report) -> {
				});

				Map<String, float[]> after = values(distiller);
				for (String name : before.keySet()) {
					boolean changed = !java.util.Arrays.equals(before.get(name), after.get(name));
					assertThat(changed).as("%s changed", name).isEqualTo(distiller.unlockedParameters().contains(name));
				}
				assertThat(distiller.unlockedParameters()).contains("reg_token", "pos_embed", "blocks.2.mlp.fc1.weight")
					.doesNotContain("norm.weight", "blocks.1.attn.qkv.weight");
			}
		}
	}

	@Test
	void reportsEveryStepWithTheScheduledRate() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = teacher(manager);
			ImageFolder photos = ImageFolder.scan(Fixtures.photos());
			try (Distiller distiller = new Distiller(SETTINGS, teacher, photos, manager)) {
				List<StepReport> reports = new ArrayList<>();

				long ran = distiller.run(10, reports::add);

				LearningRateSchedule schedule = new LearningRateSchedule(1e-3, 1e-4, 2, 9);
				assertThat(ran).isEqualTo(10);
				assertThat(distiller.totalSteps()).isEqualTo(18);
				for (int i = 0; i < reports.size(); i++) {
					StepReport report = reports.get(i);
					assertThat(report.globalStep()).isEqualTo(i + 1);
					assertThat(report.epoch()).isEqualTo(i / 9);
					assertThat(report.learningRate()).isEqualTo(schedule.rateAt(i));
					assertThat(report.loss()).isEqualTo(report.cosineLoss() + report.mseLoss(),
							org.assertj.core.data.Offset.offset(1e-5f));
					assertThat(report.images()).isEqualTo(i == 8 ? 36 - 8 * 4 : 4);
					assertThat(report.imagesPerSecond()).isPositive();
				}
			}
		}
	}

	@Test
	void aRunTrainsExactlyItsStepsAndItsLastStepRunsAtTheEndRate() throws IOException {
		// 11 steps are one epoch of 9 and part of another
		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(settings(11), teacher(manager), ImageFolder.scan(Fixtures.photos()),
						manager)) {
			List<StepReport> reports = new ArrayList<>();

			long ran = distiller.run(100, reports::add);

			assertThat(ran).isEqualTo(11);
			assertThat(distiller.isFinished()).isTrue();
			assertThat(reports).allSatisfy((report) -> assertThat(report.totalSteps()).isEqualTo(11));
			assertThat(reports.get(10).learningRate()).isEqualTo((float) 1e-4);
			assertThat(reports.get(9).learningRate()).isGreaterThan((float) 1e-4);
		}
	}

	static DistillSettings settings(long steps) {
		return new DistillSettings(4, UnlockPolicy.DEFAULT, 4, 0.25, 112, 4, steps, 1e-3, 1e-4, 1e-2, 1f, 42);
	}

	@Test
	void aSavedRunResumesExactlyInThisJvm() throws IOException {
		Path checkpoint = this.temp.resolve("state.safetensors");
		Map<String, float[]> straight = train(6, null, null);

		train(3, null, checkpoint);
		Map<String, float[]> resumed = train(3, checkpoint, null);

		assertIdentical(resumed, straight);
	}

	@Test
	void aCheckpointWrittenBeforeTheTargetsOptionExistedResumes() throws IOException {
		Path checkpoint = this.temp.resolve("before-targets.safetensors");
		Map<String, float[]> straight = train(6, null, null);
		train(3, null, checkpoint);
		// as written before the option: the settings text ends at the seed
		rewriteHeader(checkpoint, ", targets=TTA]", "]");

		Map<String, float[]> resumed = train(3, checkpoint, null);

		assertIdentical(resumed, straight);
	}

	/** Replaces text in a safetensors header, keeping the data section as it is. */
	private static void rewriteHeader(Path file, String from, String to) throws IOException {
		byte[] bytes = Files.readAllBytes(file);
		int length = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
		String header = new String(bytes, 8, length, StandardCharsets.UTF_8).strip();
		assertThat(header).contains(from);
		byte[] rewritten = header.replace(from, to).getBytes(StandardCharsets.UTF_8);
		int padded = (rewritten.length + 7) / 8 * 8;
		ByteBuffer out = ByteBuffer.allocate(8 + padded + bytes.length - 8 - length).order(ByteOrder.LITTLE_ENDIAN);
		out.putLong(padded).put(rewritten);
		for (int i = rewritten.length; i < padded; i++) {
			out.put((byte) ' ');
		}
		out.put(bytes, 8 + length, bytes.length - 8 - length);
		Files.write(file, out.array());
	}

	@Test
	void aSavedRunResumesExactlyInANewJvm() throws Exception {
		Path half = this.temp.resolve("half.safetensors");
		Path resumedFile = this.temp.resolve("resumed.safetensors");
		Map<String, float[]> straight = train(6, null, null);
		train(3, null, half);

		// Its output goes to a file: written into the test's own it would garble
		// Surefire's channel.
		Path log = this.temp.resolve("resume.log");
		Process process = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
				System.getProperty("java.class.path"), "-Dai.djl.offline=true", ResumeInNewJvm.class.getName(),
				Fixtures.root().toAbsolutePath().toString(), Fixtures.photos().toAbsolutePath().toString(),
				half.toString(), "3", resumedFile.toString())
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
		assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("the resuming JVM ended").isTrue();
		assertThat(process.exitValue()).as(Files.readString(log)).isZero();

		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(SETTINGS, teacher(manager), ImageFolder.scan(Fixtures.photos()),
						manager)) {
			distiller.restore(resumedFile);
			assertThat(distiller.globalStep()).isEqualTo(6);
			assertIdentical(values(distiller), straight);
		}
	}

	@Test
	void unreadableImagesAreSkippedCountedAndTrainingGoesOn() throws IOException {
		Path images = Files.createDirectory(this.temp.resolve("images"));
		try (var photos = Files.list(Fixtures.photos())) {
			for (Path photo : photos.filter((p) -> p.toString().endsWith(".jpg")).sorted().limit(5).toList()) {
				Files.copy(photo, images.resolve(photo.getFileName()));
			}
		}
		Files.writeString(images.resolve("notes.png"), "not an image");
		byte[] jpeg = Files.readAllBytes(images.resolve(Files.list(images).sorted().findFirst().orElseThrow()));
		Files.write(images.resolve("truncated.jpg"), java.util.Arrays.copyOf(jpeg, jpeg.length / 3));
		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(settings(DistillSettings.stepsOfEpochs(2, 7, 4)), teacher(manager),
						ImageFolder.scan(images), manager)) {
			List<StepReport> reports = new ArrayList<>();

			distiller.run(distiller.totalSteps(), reports::add);

			assertThat(distiller.isFinished()).isTrue();
			assertThat(distiller.unreadableImages()).hasSize(2);
			assertThat(reports.stream().mapToInt(StepReport::images).sum()).isEqualTo(2 * 5);
		}
	}

	@Test
	void clipTeachersDistilNaclipTargetsIntoAValueHeadStudentWithRegistersAfterThePatches() throws IOException {
		DistillSettings clipSettings = new DistillSettings(4, UnlockPolicy.DEFAULT, 3, 0.25, 80, 4,
				DistillSettings.stepsOfEpochs(1, 36, 4), 3e-4, 1e-5, 1e-2, 1f, 7);
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(Fixtures.resolve("clip/clip_vit.weights.safetensors"), manager);
			try (Distiller distiller = new Distiller(clipSettings, teacher, ImageFolder.scan(Fixtures.photos()),
					manager)) {
				List<StepReport> reports = new ArrayList<>();

				distiller.run(2, reports::add);

				assertThat(distiller.student().config().registerPlacement())
					.isEqualTo(ai.phreg.model.RegisterPlacement.AFTER_PATCHES);
				assertThat(reports).hasSize(2)
					.allSatisfy((report) -> assertThat(report.loss()).isFinite().isPositive());
			}
		}
	}

	/**
	 * Trains {@code steps} steps, optionally resuming from and saving to a file; returns
	 * the trained weights.
	 */
	static Map<String, float[]> train(int steps, Path resumeFrom, Path saveTo) throws IOException {
		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(SETTINGS, teacher(manager), ImageFolder.scan(Fixtures.photos()),
						manager)) {
			if (resumeFrom != null) {
				distiller.restore(resumeFrom);
			}
			distiller.run(steps, (report) -> {
			});
			if (saveTo != null) {
				distiller.save(saveTo);
			}
			return values(distiller);
		}
	}

	static Map<String, float[]> values(Distiller distiller) {
		Map<String, float[]> values = new TreeMap<>();
		for (Pair<String, Parameter> parameter : distiller.student().getParameters()) {
			values.put(parameter.getKey(), parameter.getValue().getArray().toFloatArray());
		}
		return values;
	}

	private static void assertIdentical(Map<String, float[]> actual, Map<String, float[]> expected) {
		assertThat(actual.keySet()).isEqualTo(expected.keySet());
		for (String name : expected.keySet()) {
			assertThat(actual.get(name)).as(name).containsExactly(expected.get(name));
		}
	}

}
