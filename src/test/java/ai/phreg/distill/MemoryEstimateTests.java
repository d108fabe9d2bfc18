package ai.phreg.distill;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.MemoryEstimate.MemoryLimitException;
import ai.phreg.model.ViTConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * The estimate against what training steps of the demo teacher (width 192, 6 blocks, 3
 * heads, patch 14, 16 registers) really add to a process's resident peak, with the
 * default teacher pass of 4 view-images. Measured on a 2-core CPU with PyTorch 2.7.1
 * (MiB): 224 px, batch 2, 4 views: 216; 448 px, batch 2, 4 views: 1263 (with all 8
 * view-images in one teacher pass they were 455 and 2857). These two run here.
 */
class MemoryEstimateTests {

	private static final Path PHOTOS = Path.of("../shared/datasets/photos");

	private static final long GIB = 1L << 30;

	/** What the measured runs use: the default teacher pass. */
	private static final int CHUNK = ExecutionSettings.DEFAULT_TEACHER_CHUNK;

	@ParameterizedTest
	@CsvSource({ "224, 2, 4", "448, 2, 4" })
	void theEstimateCoversTheMeasuredPeakWithinTwice(int resolution, int batch, int views) throws Exception {
		long measured = measuredStepPeak(resolution, batch, views, 16);

		long estimated = MemoryEstimate.of(DemoTeacher.config(), resolution, batch, views, 16, CHUNK).totalBytes();

		assertThat(estimated).isBetween(measured, 2 * measured);
	}

	@Test
	void attentionMakesResolutionCostMoreThanItsPixels() {
		long at224 = MemoryEstimate.of(DemoTeacher.config(), 224, 8, 10, 16, CHUNK).totalBytes();
		long at448 = MemoryEstimate.of(DemoTeacher.config(), 448, 8, 10, 16, CHUNK).totalBytes();

		assertThat(at448).isGreaterThan(4 * at224);
	}

	@Test
	void aLargeModelAtHighResolutionIsRefusedWithTheEstimateAndTheLimitInGib() {
		ViTConfig large = ViTConfig.builder()
			.setImageSize(518)
			.setPatchSize(14)
			.setEmbedDim(1024)
			.setDepth(24)
			.setNumHeads(16)
			.setMlpHiddenDim(4096)
			.build();
		MemoryEstimate estimate = MemoryEstimate.of(large, 1022, 8, 10, 16, 0);

		assertThat(estimate.totalBytes()).isGreaterThan(100 * GIB);
		assertThatExceptionOfType(MemoryLimitException.class).isThrownBy(() -> estimate.check(16 * GIB))
			.withMessageMatching("A training step would need about \\d+\\.\\d GiB .*"
					+ "more than the memory limit of 16\\.0 GiB: lower resolution, batchSize or views");
	}

	@Test
	void theDemoDefaultsFitAModestLimit() {
		MemoryEstimate estimate = MemoryEstimate.of(DemoTeacher.config(), 224, 8, 10, 16, CHUNK);

		assertThatNoException().isThrownBy(() -> estimate.check(8 * GIB));
		// the teacher's and the student's phases do not add up: one ends before the other
		assertThat(estimate.totalBytes()).isBetween(
				Math.max(estimate.teacherBytes(), estimate.studentBytes()) + estimate.weightBytes(),
				estimate.teacherBytes() + estimate.studentBytes() + estimate.weightBytes());
	}

	/** What two training steps add to the resident set of a fresh process. */
	private static long measuredStepPeak(int resolution, int batch, int views, int registers) throws Exception {
		Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
				System.getProperty("java.class.path"), "-Dai.djl.offline=true", StepMemoryInNewJvm.class.getName(),
				PHOTOS.toString(), String.valueOf(resolution), String.valueOf(batch), String.valueOf(views),
				String.valueOf(registers), "2")
			.redirectErrorStream(true)
			.start();
		String output = new String(process.getInputStream().readAllBytes());
		assertThat(process.waitFor(10, TimeUnit.MINUTES)).isTrue();
		assertThat(process.exitValue()).as(output).isZero();
		Matcher figures = Pattern.compile("rss-before=(\\d+) peak=(\\d+)").matcher(output);
		assertThat(figures.find()).as(output).isTrue();
		return Long.parseLong(figures.group(2)) - Long.parseLong(figures.group(1));
	}

}
