package ai.phreg.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import ai.phreg.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code phreg benchmark --teacher}: trains on a Hugging Face DINOv2 folder and prints
 * one JSON line with the PyTorch reference's field names, counting the teacher's views
 * and the cache's hits as they happened.
 */
class TrainingBenchmarkTests {

	@TempDir
	Path cache;

	@Test
	void printsOneJsonLineWithTheReferencesFields() {
		JsonNode result = benchmark("--target-cache", "off");

		assertThat(result.path("bench").asString()).isEqualTo("phreg");
		assertThat(result.path("mode").asString()).isEqualTo("tta");
		assertThat(result.path("steps").asInt()).isEqualTo(2);
		assertThat(result.path("images").asInt()).isEqualTo(2 * 2);
		assertThat(result.path("teacher_view_images").asLong()).isEqualTo(2 * 2 * 3);
		assertThat(result.path("images_per_s").asDouble()).isPositive();
		for (String phase : new String[] { "data", "teacher_tta", "teacher_augment", "teacher_forward",
				"teacher_recover", "student_fwd_bwd", "optimizer" }) {
			assertThat(result.path("phase_s").has(phase)).as(phase).isTrue();
		}
		assertThat(result.path("phase_s").path("teacher_forward").asDouble()).isPositive();
		assertThat(result.path("teacher").path("format").asString()).isEqualTo("DINOV2_HF");
		assertThat(result.path("grid").asInt()).isEqualTo(8);
		assertThat(result.path("device").asString()).isEqualTo("cpu");
		assertThat(result.path("max_rss_mb").asLong()).isPositive();
		// images are decoded before the timed steps, as the reference decodes them
		assertThat(result.path("decode_s").asDouble()).isPositive();
	}

	@Test
	void aCachedRunCountsItsHits() {
		benchmark("--target-cache", "on", "--view-sets", "1", "--cache-dir", this.cache.toString());

		JsonNode again = benchmark("--target-cache", "on", "--view-sets", "1", "--cache-dir", this.cache.toString());

		assertThat(again.path("mode").asString()).isEqualTo("target-cache");
		assertThat(again.path("cache_hits").asLong()).isEqualTo(2 * 2);
		assertThat(again.path("teacher_view_images").asLong()).isZero();
	}

	@Test
	void aGpuTheMachineDoesNotHaveIsRefusedByName() {
		ByteArrayOutputStream err = new ByteArrayOutputStream();

		int exit = CommandLine.run(
				new String[] { "benchmark", "--teacher", Fixtures.resolve("dinov2/dinov2_reg0.hf").toString(),
						"--images", Fixtures.photos().toString(), "--device", "cuda:64" },
				new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
				new PrintStream(err, true, StandardCharsets.UTF_8));

		assertThat(exit).isEqualTo(1);
		assertThat(err.toString(StandardCharsets.UTF_8)).contains("--device cuda:64 is not available");
	}

	@Test
	void aTeacherPrecisionTheCpuCannotRunIsRefusedByName() {
		for (String precision : new String[] { "fp16", "bf16" }) {
			ByteArrayOutputStream err = new ByteArrayOutputStream();

			int exit = CommandLine.run(
					new String[] { "benchmark", "--teacher", Fixtures.resolve("dinov2/dinov2_reg0.hf").toString(),
							"--images", Fixtures.photos().toString(), "--teacher-precision", precision },
					new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
					new PrintStream(err, true, StandardCharsets.UTF_8));

			assertThat(exit).isEqualTo(1);
			assertThat(err.toString(StandardCharsets.UTF_8)).contains("Teacher precision " + precision);
		}
	}

	private static JsonNode benchmark(String... extra) {
		String[] common = { "benchmark", "--teacher", Fixtures.resolve("dinov2/dinov2_reg0.hf").toString(), "--images",
				Fixtures.photos().toString(), "--steps", "2", "--warmup", "1", "--batch", "2", "--views", "3",
				"--resolution", "112", "--log-every", "0" };
		String[] args = new String[common.length + extra.length];
		System.arraycopy(common, 0, args, 0, common.length);
		System.arraycopy(extra, 0, args, common.length, extra.length);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();

		int exit = CommandLine.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
				new PrintStream(err, true, StandardCharsets.UTF_8));

		assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
		String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
		assertThat(lines).hasSize(1);
		return JsonMapper.builder().build().readTree(lines[0]);
	}

}
