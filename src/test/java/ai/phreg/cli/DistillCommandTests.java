package ai.phreg.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import ai.phreg.job.JobProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code phreg distill}: one job end to end on the demo teacher through the service's
 * Spring Batch job, in the foreground and without a web server, with its repository and
 * files in the work folder.
 */
class DistillCommandTests {

	@TempDir
	Path work;

	@Test
	void runsAJobInTheForegroundAndPrintsItsResults() throws Exception {
		CommandLineTests.Result result = CommandLineTests.run("distill", "--teacher", "demo", "--images", "demo",
				"--steps", "3", "--batch", "2", "--views", "2", "--eval", "2", "--checkpoint-every", "2", "--export",
				"DINOV2_HF", "--work-dir", this.work.toString());

		assertThat(result.exitCode()).as(result.err()).isZero();
		List<String> lines = result.out().lines().toList();
		assertThat(lines).contains("phase: distill", "phase: export", "state: completed");
		assertThat(lines).anyMatch((line) -> line.matches("step 1/3 +33\\.3%  [0-9.]+ steps/s  ETA \\d+:\\d\\d  loss "
				+ "[0-9.]+ \\(cos [0-9.]+, mse [0-9.]+\\)  [0-9.]+ img/s"));
		assertThat(lines).anyMatch((line) -> line.startsWith("step 3/3 100.0%  loss "));
		assertThat(lines).contains("results on 2 held-out images at 224 px, teacher -> student:");
		assertThat(lines).anyMatch((line) -> line.matches(" +outlier fraction +[0-9.]+% -> [0-9.]+%"));
		String jobId = lines.get(0).split(" ")[1];
		assertThat(lines.get(0)).isEqualTo("job " + jobId + " in " + this.work.toAbsolutePath().normalize());
		Path folder = this.work.resolve("jobs").resolve(jobId);
		assertThat(lines).contains("report:     " + folder.resolve("report.json"));
		JsonNode report = JsonMapper.builder().build().readTree(folder.resolve("report.json").toFile());
		assertThat(report.path("training").path("progress").path("step").asLong()).isEqualTo(3);
		assertThat(report.path("spec").path("batchSize").asInt()).isEqualTo(2);
		assertThat(report.path("exports")).isNotEmpty();
		assertThat(report.path("teacher").path("family").asString()).isEqualTo("DINOv2");
		assertThat(report.path("teacher").path("format").asString()).isEqualTo("DINOV2_HUB");
		Path huggingFace = folder.resolve("export").resolve("DINOV2_HF");
		try (var exported = Files.list(huggingFace)) {
			assertThat(exported.map((file) -> file.getFileName().toString())).contains("preprocessor_config.json",
					"README.md");
		}
		String card = Files.readString(huggingFace.resolve("README.md"));
		assertThat(card).contains("# Vision Transformer with 16 register tokens (PH-Reg)")
			.contains("from the teacher `demo`")
			.contains("- teacher family: DINOv2 (DINOv2, torch.hub key names, `DINOV2_HUB`)")
			.contains("- this folder: DINOv2, Hugging Face transformers key names (`DINOV2_HF`)")
			.contains("| batchSize | 2 |")
			.contains("| steps | 3 |")
			.contains("On 2 held-out images at 224 px")
			.containsPattern("\\| outlier fraction [^|]*\\| [0-9.e-]+ \\| [0-9.e-]+ \\|")
			.contains("## Pictures");
		// every picture the card shows is in the folder, one per held-out image
		List<String> shown = Pattern.compile("!\\[[^]]*]\\((pictures/[^)]+\\.png)\\)")
			.matcher(card)
			.results()
			.map((match) -> match.group(1))
			.toList();
		assertThat(shown).hasSize(2).allSatisfy((picture) -> assertThat(huggingFace.resolve(picture)).isRegularFile());
		try (var database = Files.list(this.work.resolve("db"))) {
			assertThat(database.map((file) -> file.getFileName().toString())).anyMatch((name) -> name.endsWith(".db"));
		}
	}

	@Test
	void aTeacherThatIsNotThereIsRefusedByTheServicesOwnChecks() {
		Path missing = this.work.resolve("no-such-teacher");

		CommandLineTests.Result result = CommandLineTests.run("distill", "--teacher", missing.toString(), "--images",
				"demo", "--steps", "1", "--work-dir", this.work.resolve("run").toString());

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.err()).startsWith("phreg distill: teacher: ");
		assertThat(result.out()).isEmpty();
	}

	@Test
	void theProgressLineShowsPercentRateTimeLeftAndLoss() {
		JobProgress progress = new JobProgress(12, 40, 1, 30.0, 14.0, 0.1234f, 0.0123f, 0.1111f, 1e-4f, 3.5,
				Instant.now());

		String line = ProgressLine.describe(progress);

		// 28 steps left in 14 s: 2 steps a second.
		assertThat(line).isEqualTo(
				"step 12/40  30.0%  2.00 steps/s  ETA 0:14  loss 0.1234 (cos 0.0123, mse 0.1111)" + "  3.5 img/s");
		assertThat(Arrays.asList(ProgressLine.duration(59.4), ProgressLine.duration(3725))).containsExactly("0:59",
				"1:02:05");
	}

}
