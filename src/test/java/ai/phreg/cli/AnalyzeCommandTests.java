package ai.phreg.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code phreg analyze}: one analyze job on the demo teacher through the service's Spring
 * Batch job, in the foreground and without a web server.
 */
class AnalyzeCommandTests {

	@TempDir
	Path work;

	@Test
	void runsAnAnalysisInTheForegroundAndPrintsTheNeuronsAndTheSourcesSideBySide() throws Exception {
		CommandLineTests.Result result = CommandLineTests.run("analyze", "--teacher", "demo", "--images", "demo",
				"--views", "2", "--eval", "1", "--top-neurons", "6", "--work-dir", this.work.toString());

		assertThat(result.exitCode()).as(result.err()).isZero();
		List<String> lines = result.out().lines().toList();
		// a phase shows when the job is seen in it: short ones may pass unseen
		assertThat(lines).filteredOn((line) -> line.startsWith("phase: "))
			.isNotEmpty()
			.isSubsetOf("phase: validate", "phase: prepare", "phase: neurons", "phase: compare", "phase: report");
		assertThat(lines).contains("state: completed");
		assertThat(lines).anyMatch((line) -> line.matches(
				"6 register neurons of blocks 0-2, outliers above [0-9.e+]+ \\(valley\\) at block 4, on \\d of 5 images:"));
		assertThat(lines).filteredOn((line) -> line.matches(" +\\d+ +\\d+ +[0-9.e+]+")).hasSize(6);
		assertThat(lines).anyMatch((line) -> line.matches("  per block: 0: \\d, 1: \\d, 2: \\d"));
		assertThat(lines).contains("on 1 images at 224 px, at the teacher's outlier threshold:");
		for (String source : List.of("teacher", "tta", "test-time-registers", "both")) {
			assertThat(lines)
				.anyMatch((line) -> line.matches("  " + source + " +[12] +[0-9.]+ +[0-9.]+% +[0-9.]+ +-?[0-9.]+"));
		}
		String jobId = lines.get(0).split(" ")[1];
		Path analysis = this.work.resolve("jobs").resolve(jobId).resolve("analysis.json");
		assertThat(lines).contains("analysis:   " + analysis);
		assertThat(Files.readString(analysis)).contains("\"test-time-registers\"");
	}

	@Test
	void aTrainingFlagIsNotAnAnalysisFlag() throws Exception {
		CommandLineTests.Result result = CommandLineTests.run("analyze", "--teacher", "demo", "--images", "demo",
				"--steps", "3");

		assertThat(result.exitCode()).isEqualTo(Command.USAGE);
		assertThat(result.err()).contains("--steps");
	}

}
