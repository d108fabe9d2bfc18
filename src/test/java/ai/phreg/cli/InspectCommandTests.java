package ai.phreg.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.StateDict;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.TensorInfo;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.model.ViTConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTests {

	private static final Pattern PARAMETERS = Pattern.compile("(?m)^parameters: (\\S+) in (\\d+) tensors$");

	/** Decimal commas too: the numbers are printed in the default locale. */
	private static final Pattern NORMS = Pattern
		.compile("(?m)^(.+) norms: min ([\\d.,]+) median ([\\d.,]+) max ([\\d.,]+) \\((\\d+) tokens\\)$");

	@TempDir
	Path dir;

	@Test
	void describesAHuggingFaceDinoV2CheckpointAndItsTokenNorms() throws IOException {
		Path checkpoint = Fixtures.resolve("dinov2/dinov2_reg4.hf");

		Result result = inspect(checkpoint.toString(), "--image", Fixtures.resolve("image/chelsea.png").toString());

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.out()).contains("family: DINOV2_HF");
		// The mask token is the one tensor the backbone does not use.
		assertThat(parameterCount(result.out()))
			.isEqualTo(elementCount(checkpoint.resolve("model.safetensors"), (name) -> !name.endsWith("mask_token")));
		assertThat(result.out()).contains("ignored: 1 tensors");
		Map<String, Integer> norms = tokenNorms(result.out());
		ViTConfig config = configOf(checkpoint);
		assertThat(norms).containsExactly(Map.entry("patch tokens", config.gridSize() * config.gridSize()),
				Map.entry("class token", 1), Map.entry("register tokens", config.numRegisters()));
	}

	/**
	 * The demo teacher's planted neurons write high-norm patch tokens: inspect finds them
	 * as a second mode of the norms, and says the model has no registers.
	 */
	@Test
	void printsTheRegistersAndTheArtifactsOfTheDemoTeacherOnAPhoto() throws IOException {
		Path teacher = this.dir.resolve("demo-teacher");
		try (NDManager manager = NDManager.newBaseManager()) {
			CheckpointExporter.export(DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).teacher(),
					CheckpointFormat.DINOV2_HF, teacher, DType.F32, Map.of());
		}
		Path photo;
		try (var photos = Files.list(Fixtures.photos())) {
			photo = photos.filter((file) -> file.toString().endsWith(".jpg")).sorted().findFirst().orElseThrow();
		}

		Result result = inspect(teacher.toString(), "--image", photo.toString());

		assertThat(result.exitCode()).as(result.err()).isZero();
		assertThat(result.out()).contains("registers: 0");
		Matcher artifacts = Pattern.compile("(?m)^artifacts: .+; max/median norm ([\\d.]+), ").matcher(result.out());
		assertThat(artifacts.find()).as(result.out()).isTrue();
		assertThat(Double.parseDouble(artifacts.group(1))).isGreaterThan(5.0);
	}

	@Test
	void describesAClipCheckpointWithoutRegisters() throws IOException {
		Path checkpoint = Fixtures.resolve("clip/clip_vit.weights.safetensors");

		Result plain = inspect(checkpoint.toString());
		Result withImage = inspect(checkpoint.toString(), "--image", Fixtures.resolve("image/chelsea.png").toString());

		assertThat(plain.exitCode()).as(plain.err()).isZero();
		assertThat(plain.out()).contains("family: CLIP_OPENAI").doesNotContain("ignored:");
		assertThat(parameterCount(plain.out())).isEqualTo(elementCount(checkpoint, (name) -> true));
		assertThat(tokenNorms(plain.out())).isEmpty();
		assertThat(withImage.exitCode()).as(withImage.err()).isZero();
		// The image is resized to the native grid, and there is no register line.
		int grid = configOf(checkpoint).gridSize();
		assertThat(tokenNorms(withImage.out())).containsExactly(Map.entry("patch tokens", grid * grid),
				Map.entry("class token", 1));
	}

	@Test
	void badCheckpointsExitWithOneAndSayWhy() throws IOException {
		Path garbage = Files.writeString(this.dir.resolve("garbage.safetensors"), "not a checkpoint");
		Path missing = this.dir.resolve("missing.safetensors");

		for (Path checkpoint : new Path[] { garbage, missing }) {
			Result result = inspect(checkpoint.toString());

			assertThat(result.exitCode()).as(checkpoint.toString()).isEqualTo(1);
			assertThat(result.err()).startsWith("phreg inspect: ").contains(checkpoint.toString());
			assertThat(result.out()).isEmpty();
		}
	}

	@Test
	void headsThatNoConfigGivesAreAskedForAndTakenFromTheFlag() throws IOException {
		Path checkpoint = this.dir.resolve("dinov2_reg0.torch.safetensors");
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), checkpoint);

		Result unknown = inspect(checkpoint.toString());
		Result given = inspect(checkpoint.toString(), "--heads", "3");

		assertThat(unknown.exitCode()).isEqualTo(1);
		assertThat(unknown.err()).contains("number of attention heads").contains("Give heads");
		assertThat(given.exitCode()).as(given.err()).isZero();
		assertThat(given.out()).contains("family: DINOV2_HUB").containsPattern("numHeads=3\\b");
	}

	@Test
	void anUnreadableImageExitsWithOne() {
		Path image = this.dir.resolve("missing.png");

		Result result = inspect(Fixtures.resolve("clip/clip_vit.weights.safetensors").toString(), "--image",
				image.toString());

		assertThat(result.exitCode()).isEqualTo(1);
		assertThat(result.err()).contains(image.toString());
	}

	@Test
	void usageErrorsExitWithTwoAndPrintTheUsage() {
		String checkpoint = Fixtures.resolve("clip/clip_vit.weights.safetensors").toString();
		String[][] usageErrors = { {}, { "--image" }, { checkpoint, "--image" }, { checkpoint, "--size", "big" },
				{ checkpoint, "--verbose" }, { checkpoint, checkpoint }, { checkpoint, "--heads", "0" },
				{ checkpoint, "--heads", "many" } };

		for (String[] args : usageErrors) {
			Result result = inspect(args);

			assertThat(result.exitCode()).as(String.join(" ", args)).isEqualTo(2);
			assertThat(result.err()).contains(InspectCommand.OPTIONS.usage());
			assertThat(result.out()).isEmpty();
		}
	}

	private static Result inspect(String... args) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		String[] command = new String[args.length + 1];
		command[0] = "inspect";
		System.arraycopy(args, 0, command, 1, args.length);
		int exitCode = CommandLine.run(command, new PrintStream(out, true, StandardCharsets.UTF_8),
				new PrintStream(err, true, StandardCharsets.UTF_8));
		return new Result(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
	}

	/** The element count of the stored tensors, read independently of the loader. */
	private static long elementCount(Path file, Predicate<String> counted) throws IOException {
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			return reader.tensors()
				.stream()
				.filter((info) -> counted.test(info.name()))
				.mapToLong(TensorInfo::elementCount)
				.sum();
		}
	}

	private static long parameterCount(String out) {
		Matcher matcher = PARAMETERS.matcher(out);
		assertThat(matcher.find()).as("parameter line in%n%s", out).isTrue();
		// Grouping separators depend on the locale.
		return Long.parseLong(matcher.group(1).replaceAll("\\D", ""));
	}

	/**
	 * The token count of every norm line, in print order, after checking min ≤ median ≤
	 * max and that norms are positive.
	 */
	private static Map<String, Integer> tokenNorms(String out) {
		Map<String, Integer> counts = new LinkedHashMap<>();
		Matcher matcher = NORMS.matcher(out);
		while (matcher.find()) {
			double min = number(matcher.group(2));
			double median = number(matcher.group(3));
			double max = number(matcher.group(4));
			assertThat(min).as(matcher.group()).isPositive().isLessThanOrEqualTo(median);
			assertThat(median).as(matcher.group()).isLessThanOrEqualTo(max);
			counts.put(matcher.group(1), Integer.valueOf(matcher.group(5)));
		}
		return counts;
	}

	private static double number(String printed) {
		return Double.parseDouble(printed.replace(',', '.'));
	}

	private record Result(int exitCode, String out, String err) {
	}

	private static ViTConfig configOf(Path checkpoint) throws IOException {
		try (StateDict dict = StateDict.open(checkpoint)) {
			return CheckpointLoader.convert(dict).config();
		}
	}

}
