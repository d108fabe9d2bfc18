package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.checkpoint.safetensors.TensorInfo;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The original DINOv3 layout stores its RoPE periods; phreg recomputes them from the base
 * and the head width, so stored periods that disagree are refused rather than silently
 * replaced. Every fixture checkpoint whose manifest entry lists
 * {@code rope_embed.periods} is checked, once as it is and once with one period changed.
 */
class RopePeriodsTests {

	private static final String PERIODS = "rope_embed.periods";

	@TempDir
	Path dir;

	@TestFactory
	Stream<DynamicTest> storedPeriodsMustBeTheOnesTheConfigGives() throws IOException {
		List<Path> checkpoints = new ArrayList<>();
		for (Path root : Fixtures.roots()) {
			JsonNode files = JsonMapper.shared().readTree(root.resolve("manifest.json").toFile()).get("files");
			files.properties()
				.stream()
				.filter((file) -> file.getValue().path("tensors").has(PERIODS))
				.forEach((file) -> checkpoints.add(root.resolve(file.getKey())));
		}
		assertThat(checkpoints).as("fixture checkpoints with stored RoPE periods").isNotEmpty();
		return checkpoints.stream()
			.map((checkpoint) -> DynamicTest.dynamicTest(checkpoint.getFileName().toString(),
					() -> refusesATamperedCopyOf(checkpoint)));
	}

	private void refusesATamperedCopyOf(Path checkpoint) throws IOException {
		Path folder = Files.createDirectories(this.dir.resolve(checkpoint.getFileName() + ".copy"));
		copySidecars(checkpoint, folder);
		Path intact = folder.resolve(checkpoint.getFileName());
		Files.copy(checkpoint, intact);
		try (NDManager manager = NDManager.newBaseManager()) {
			assertThat(CheckpointLoader.load(intact, manager).format()).isEqualTo(CheckpointFormat.DINOV3);
		}

		List<TensorData> tensors = new ArrayList<>();
		float[] periods;
		try (SafetensorsReader reader = SafetensorsReader.open(checkpoint)) {
			periods = reader.readFloats(PERIODS);
			for (TensorInfo info : reader.tensors()) {
				if (!info.name().equals(PERIODS)) {
					tensors.add(new TensorData(info.name(), info.dtype(), info.shape(), reader.copyBytes(info.name())));
				}
			}
		}
		// Period 1 a few percent off: what another base or a min/max period rule gives.
		float expected = periods[1];
		periods[1] *= 1.03f;
		tensors.add(TensorData.ofFloats(PERIODS, new long[] { periods.length }, periods, DType.F32));
		SafetensorsWriter.write(intact, Map.of("format", "pt"), tensors);

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> {
			try (NDManager manager = NDManager.newBaseManager()) {
				CheckpointLoader.load(intact, manager);
			}
		})
			.withMessageContaining(PERIODS)
			.withMessageContaining(Float.toString(periods[1]))
			.withMessageContaining(Double.toString((double) expected).substring(0, 5))
			.withMessageContaining("period 1 differs");
	}

	/** The checkpoint's own config, {@code <name>.config.json} beside it. */
	private static void copySidecars(Path checkpoint, Path folder) throws IOException {
		String stem = checkpoint.getFileName().toString().split("\\.")[0];
		try (Stream<Path> siblings = Files.list(checkpoint.getParent())) {
			for (Path sibling : siblings
				.filter((file) -> file.getFileName().toString().startsWith(stem + ".")
						&& file.getFileName().toString().endsWith(".config.json"))
				.toList()) {
				Files.copy(sibling, folder.resolve(sibling.getFileName()));
			}
		}
	}

}
