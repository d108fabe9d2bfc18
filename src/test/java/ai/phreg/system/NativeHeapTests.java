package ai.phreg.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NativeHeapTests {

	private static final String APPLIED = "freed memory retained (mmap threshold 32 MB, trim threshold 1 GB)";

	@Test
	void largeTensorBuffersComeFromTheHeapOnceApplied() throws Exception {
		// given a fresh JVM each time (the thresholds are process-wide and one-way)
		// when a 24 MB block is allocated with and without the thresholds
		String retained = probe("retain");
		String defaults = probe("defaults");

		// then glibc's default maps it fresh, and the retained heap serves it
		assertThat(defaults).endsWith("new mapped chunks: 1");
		assertThat(retained).startsWith(APPLIED).endsWith("new mapped chunks: 0");
	}

	@Test
	void theTestsRunWithTheSettingsTheApplicationUses() {
		// ai.phreg.NativeHeapForTests, registered as a launcher session listener
		assertThat(NativeHeap.setting()).isEqualTo(APPLIED);
	}

	@Test
	void otherMallocVariablesDoNotStopIt() {
		assertThat(NativeHeap
			.retainFreedMemory(Map.of("MALLOC_ARENA_MAX", "2", "GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX512F"), "true"))
			.isEqualTo(APPLIED);
	}

	@Test
	void thresholdsTheEnvironmentSetsAreLeftAlone() {
		assertThat(NativeHeap.retainFreedMemory(Map.of("MALLOC_TRIM_THRESHOLD_", "0"), "true"))
			.isEqualTo("as the environment sets it (MALLOC_TRIM_THRESHOLD_)");
		assertThat(NativeHeap.retainFreedMemory(Map.of("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536"), "true"))
			.isEqualTo("as the environment sets it (GLIBC_TUNABLES)");
	}

	@Test
	void thePropertyTurnsItOff() {
		assertThat(NativeHeap.retainFreedMemory(Map.of(), "false"))
			.isEqualTo("glibc defaults (phreg.native-heap.retain=false)");
	}

	private static String probe(String mode) throws IOException, InterruptedException {
		Path java = Path.of(System.getProperty("java.home"), "bin", "java");
		Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
				NativeHeapProbe.class.getName(), mode)
			.redirectErrorStream(true)
			.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
		assertThat(process.waitFor(2, TimeUnit.MINUTES)).as(output).isTrue();
		assertThat(process.exitValue()).as(output).isZero();
		return output;
	}

}
