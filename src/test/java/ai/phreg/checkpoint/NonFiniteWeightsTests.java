package ai.phreg.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.checkpoint.safetensors.TensorInfo;
import ai.phreg.cli.CommandLine;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * NaN and infinity in weights: a teacher holding them is refused at load, with where they
 * are, and a model holding them is never written.
 */
class NonFiniteWeightsTests {

	private static final String HUB = "dinov2/dinov2_reg0.torch.safetensors";

	@TempDir
	Path dir;

	@Test
	void aTeacherWithNonFiniteWeightsIsRefusedNamingTheTensorsAndCounts() throws IOException {
		Path file = hubCopyWith(Map.of("blocks.0.attn.qkv.weight", new float[] { Float.NaN, Float.NaN }, "norm.weight",
				new float[] { Float.POSITIVE_INFINITY }));

		// Loaded without complaint before, and distilled into an all-NaN student.
		assertThatExceptionOfType(NonFiniteWeightsException.class).isThrownBy(() -> {
			try (NDManager manager = NDManager.newBaseManager()) {
				CheckpointLoader.load(file, manager);
			}
		})
			.withMessageContaining("Checkpoint " + file + " has 3 NaN or infinite values in 2 tensors: "
					+ "blocks.0.attn.qkv.weight (2), norm.weight (1)")
			.satisfies((ex) -> assertThat(ex.counts())
				.containsExactlyInAnyOrderEntriesOf(Map.of("blocks.0.attn.qkv.weight", 2L, "norm.weight", 1L)));
	}

	@Test
	void inspectFlagsNonFiniteWeights() throws IOException {
		Path file = hubCopyWith(Map.of("pos_embed", new float[] { Float.NEGATIVE_INFINITY }));
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();

		int exitCode = CommandLine.run(new String[] { "inspect", file.toString() },
				new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

		assertThat(exitCode).isEqualTo(1);
		assertThat(err.toString(StandardCharsets.UTF_8))
			.contains("1 NaN or infinite values in 1 tensors: pos_embed (1)");
	}

	@Test
	void theExporterNeverWritesNonFiniteWeights() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = CheckpointLoader.load(Fixtures.resolve(HUB), manager).model();
			float[] gamma = new float[96];
			gamma[5] = Float.NaN;
			model.setParameter("blocks.2.ls2.gamma", gamma);
			Path target = this.dir.resolve("diverged");

			assertThatExceptionOfType(NonFiniteWeightsException.class)
				.isThrownBy(
						() -> CheckpointExporter.export(model, CheckpointFormat.DINOV2_HF, target, DType.F32, Map.of()))
				.withMessageContaining("1 NaN or infinite values in 1 tensors: blocks.2.ls2.gamma (1)")
				.withMessageContaining("is not written");
			assertThat(target).doesNotExist();
		}
	}

	@Test
	void valuesBeyondTheRangeOfTheExportDtypeCountAsInfinite() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = CheckpointLoader.load(Fixtures.resolve(HUB), manager).model();
			float[] gamma = new float[96];
			gamma[0] = 1e5f;
			model.setParameter("blocks.2.ls2.gamma", gamma);

			assertThatExceptionOfType(NonFiniteWeightsException.class)
				.isThrownBy(() -> CheckpointExporter.export(model, CheckpointFormat.DINOV2_HF, this.dir.resolve("half"),
						DType.F16, Map.of()))
				.withMessageContaining("blocks.2.ls2.gamma (1)")
				.withMessageContaining("export as F32");
			assertThat(CheckpointExporter
				.export(model, CheckpointFormat.DINOV2_HF, this.dir.resolve("single"), DType.F32, Map.of())
				.files()).allSatisfy((file) -> assertThat(file).exists());
		}
	}

	/**
	 * A copy of the hub fixture, with its config, whose tensors start with the given
	 * values.
	 */
	private Path hubCopyWith(Map<String, float[]> firstValues) throws IOException {
		Path source = Fixtures.resolve(HUB);
		Path file = this.dir.resolve("dinov2_reg0.torch.safetensors");
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.config.json"), this.dir.resolve("dinov2_reg0.config.json"));
		List<TensorData> tensors = new ArrayList<>();
		try (SafetensorsReader reader = SafetensorsReader.open(source)) {
			for (TensorInfo info : reader.tensors()) {
				float[] values = reader.readFloats(info.name());
				float[] first = firstValues.getOrDefault(info.name(), new float[0]);
				System.arraycopy(first, 0, values, 0, first.length);
				tensors.add(TensorData.ofFloats(info.name(), info.shape(), values, info.dtype()));
			}
			SafetensorsWriter.write(file, reader.metadata(), tensors);
		}
		return file;
	}

}
