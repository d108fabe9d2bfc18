package ai.phreg.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ai.phreg.Fixtures;
import ai.phreg.PhregApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code java -jar phreg.jar --help} and friends in a process of their own: they print
 * the usage and exit with their code, and never start the service (no Spring banner, no
 * storage folder or database created in the working directory).
 */
class CommandLineProcessTests {

	/** Far above the second or two a usage takes; only a hang reaches it. */
	private static final long EXIT_TIMEOUT_SECONDS = 120;

	@TempDir
	Path workingDirectory;

	@Test
	void helpExitsWithZeroWithoutTheService() throws Exception {
		for (String[] args : new String[][] { { "--help" }, { "help" }, { "distill", "--help" },
				{ "help", "inspect" } }) {
			Ran ran = phreg(args);

			assertThat(ran.exitCode()).as(String.join(" ", args)).isZero();
			assertThat(ran.out()).as(String.join(" ", args)).startsWith("usage: phreg");
			assertNoService(ran);
		}
	}

	@Test
	void anUnknownCommandExitsWithTwoWithoutTheService() throws Exception {
		Ran ran = phreg("serve-please");

		assertThat(ran.exitCode()).isEqualTo(2);
		assertThat(ran.err()).contains("unknown command 'serve-please'").contains("usage: phreg");
		assertNoService(ran);
	}

	/**
	 * Loading a checkpoint and running it used to print libtorch's deprecation warning
	 * (DJL's {@code NDArray.set(Buffer)}) and, on machines with CUDA libraries but no
	 * driver, DJL's CUDA warnings: a command's stderr is for its own errors.
	 */
	@Test
	void aCommandThatRunsTheEnginePrintsNoLibraryNoise() throws Exception {
		Path image;
		try (var photos = Files.list(Fixtures.photos())) {
			image = photos.filter((file) -> file.toString().endsWith(".jpg")).sorted().findFirst().orElseThrow();
		}

		Ran ran = phreg("inspect", Fixtures.resolve("dinov2/dinov2_reg0.hf").toAbsolutePath().toString(), "--image",
				image.toAbsolutePath().toString());

		assertThat(ran.exitCode()).as(ran.err()).isZero();
		assertThat(ran.out()).contains("patch tokens norms:");
		assertThat(ran.err()).isEmpty();
	}

	private void assertNoService(Ran ran) throws IOException {
		assertThat(ran.out() + ran.err()).doesNotContain(":: Spring Boot ::")
			.doesNotContain("Started PhregApplication");
		try (var created = Files.list(this.workingDirectory)) {
			assertThat(created).as("files the run created in its working directory").isEmpty();
		}
	}

	private Ran phreg(String... args) throws Exception {
		List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
				System.getProperty("java.class.path"), PhregApplication.class.getName()));
		command.addAll(List.of(args));
		Path out = Files.createTempFile("phreg-cli", ".out");
		Path err = Files.createTempFile("phreg-cli", ".err");
		try {
			Process process = new ProcessBuilder(command).directory(this.workingDirectory.toFile())
				.redirectOutput(out.toFile())
				.redirectError(err.toFile())
				.start();
			boolean exited = process.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
			if (!exited) {
				process.destroyForcibly();
			}
			assertThat(exited).as("phreg %s exited", String.join(" ", args)).isTrue();
			return new Ran(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
					Files.readString(err, StandardCharsets.UTF_8));
		}
		finally {
			Files.deleteIfExists(out);
			Files.deleteIfExists(err);
		}
	}

	private record Ran(int exitCode, String out, String err) {
	}

}
