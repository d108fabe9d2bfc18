package ai.phreg.distill;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import ai.phreg.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Exact resume under SIGKILL: a training process ({@link CrashDrillRun}, in
 * {@link Determinism#EXACT} mode) is killed at seeded random steps and in the middle of
 * checkpoint writes, restarted each time, and must end with a checkpoint byte for byte
 * equal to that of an uninterrupted run in this JVM, leaving no temporary files behind.
 * The drill waits on what the child prints and on the files it writes, never on time.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CrashDrillTests {

	private static final int KILLS = 4;

	@TempDir
	static Path temp;

	/** The final checkpoint of an uninterrupted run in this JVM. */
	private static Path uninterrupted;

	@BeforeAll
	static void trainWithoutInterruption() throws IOException {
		Path folder = temp.resolve("uninterrupted");
		CrashDrillRun.train(folder, Fixtures.photos(), (line) -> {
		});
		uninterrupted = CheckpointFolder.open(folder, 1).newest();
		assertThat(uninterrupted.getFileName()).hasToString("state-000000018.safetensors");
	}

	@Test
	void anUninterruptedRunInAnotherProcessWithAnotherThreadCountGivesTheSameBits() throws Exception {
		Path folder = temp.resolve("other-process");
		try (Child child = Child.start(folder, 1)) {
			child.await("done");
			assertThat(child.exitCode()).isZero();
		}

		assertThat(Files.mismatch(newest(folder), uninterrupted)).as("first differing byte").isEqualTo(-1L);
	}

	@Test
	void killsAtRandomStepsAndDuringCheckpointWritesGiveTheBitsOfAnUninterruptedRun() throws Exception {
		Path folder = temp.resolve("drilled");
		Random random = new Random(20251202L);
		long killStep = 0;
		int tornWrites = 0;
		List<Long> resumedSteps = new ArrayList<>();
		for (int kill = 0; kill < KILLS; kill++) {
			killStep += 1 + random.nextInt(3);
			try (Child child = Child.start(folder, 2)) {
				resumedSteps.add(child.resumedStep());
				assertThat(unfinishedWrites(folder)).as("temporary files after a restart").isEmpty();
				if (kill % 2 == 0) {
					child.await("step", killStep);
					child.kill();
				}
				else if (child.killDuringWrite(killStep, folder)) {
					tornWrites++;
				}
			}
		}
		try (Child child = Child.start(folder, 2)) {
			resumedSteps.add(child.resumedStep());
			child.await("done");
			assertThat(child.exitCode()).isZero();
		}

		assertThat(tornWrites).as("kills that left a checkpoint half written").isPositive();
		assertThat(resumedSteps).as("steps resumed from").isSorted().last().isNotEqualTo(0L);
		assertThat(unfinishedWrites(folder)).isEmpty();
		assertThat(Files.mismatch(newest(folder), uninterrupted)).as("first differing byte").isEqualTo(-1L);
	}

	private static Path newest(Path folder) throws IOException {
		try (Stream<Path> files = Files.list(folder)) {
			return files.filter((file) -> file.getFileName().toString().startsWith("state-"))
				.max(Path::compareTo)
				.orElseThrow();
		}
	}

	private static List<Path> unfinishedWrites(Path folder) throws IOException {
		try (Stream<Path> files = Files.list(folder)) {
			return files.filter((file) -> file.getFileName().toString().endsWith(".tmp")).toList();
		}
	}

	/** A {@link CrashDrillRun} process and what it has printed. */
	private static final class Child implements AutoCloseable {

		private final Process process;

		private final BufferedReader output;

		private Child(Process process) {
			this.process = process;
			this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
		}

		static Child start(Path folder, int threads) throws IOException {
			return new Child(new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
					System.getProperty("java.class.path"), "-Dai.djl.offline=true",
					"-Dai.djl.pytorch.num_threads=" + threads, CrashDrillRun.class.getName(), folder.toString(),
					Fixtures.photos().toAbsolutePath().toString())
				.redirectError(ProcessBuilder.Redirect.INHERIT)
				.start());
		}

		long resumedStep() throws IOException {
			return Long.parseLong(await("resumed").substring("resumed ".length()));
		}

		/** Reads up to the first line that is exactly {@code line}. */
		String await(String line) throws IOException {
			return await(line, 0);
		}

		/**
		 * Reads up to the first line {@code phase N} with {@code N >= step}
		 * ({@code phase} alone when the phase has no step).
		 */
		String await(String phase, long step) throws IOException {
			while (true) {
				String line = this.output.readLine();
				if (line == null) {
					fail("The drill process ended (exit code %s) before '%s %d'", exitCode(), phase, step);
				}
				if (line.equals(phase)) {
					return line;
				}
				if (line.startsWith(phase + " ") && Long.parseLong(line.substring(phase.length() + 1)) >= step) {
					return line;
				}
			}
		}

		/**
		 * Kills the process in the middle of a checkpoint write from step {@code step}
		 * on: after it announces the write, as soon as the write's temporary file exists.
		 * A write that completes before the file is seen is let be, and the next one is
		 * tried. Returns whether the kill left the write unfinished: on a busy machine
		 * the write may still complete between the look and the signal.
		 */
		boolean killDuringWrite(long step, Path folder) throws IOException {
			long saving = step;
			while (true) {
				saving = Long.parseLong(await("saving", saving).substring("saving ".length()));
				Path written = folder.resolve(String.format("state-%09d.safetensors", saving));
				while (unfinishedWrites(folder).isEmpty() && !Files.exists(written)) {
					Thread.onSpinWait();
				}
				if (!Files.exists(written)) {
					kill();
					return !unfinishedWrites(folder).isEmpty();
				}
				saving++;
			}
		}

		void kill() {
			try {
				this.process.destroyForcibly().waitFor();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		int exitCode() {
			try {
				return this.process.waitFor();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return -1;
			}
		}

		@Override
		public void close() throws IOException {
			kill();
			this.output.close();
		}

	}

}
