package ai.phreg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import ai.phreg.job.TrainingHeldUntilStopped;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web page in a real browser: scripts in {@code src/test/browser} drive Debian's
 * Chromium through Playwright against this service (with an API key) and check the page,
 * step by step. {@code web-page.mjs}: key kept for the session, form defaults, a demo job
 * submitted from the form (targets from test-time registers), its chart growing over
 * server-sent events, stop, restart, results, pictures and register neurons, the export
 * archive's download, the filtered list. {@code analyze-page.mjs}: an analyze job
 * submitted from the form and its target sources side by side, pictures and register
 * neurons. Screenshots and the downloaded archive are kept in
 * {@code target/browser-screenshots}. The demo job's training waits on step
 * {@value TrainingHeldUntilStopped#HELD_STEP} until the page stops it, so that a fast
 * machine cannot finish its few steps before the click. Needs {@code node},
 * {@code npm ci} in {@code src/test/browser} and {@code /usr/bin/chromium}
 * ({@code .ci/run} installs them).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(TrainingHeldUntilStopped.class)
class WebPageBrowserTests {

	private static final String KEY = "browser-test-api-key";

	private static final Path BROWSER_TESTS = Path.of("src/test/browser");

	private static final Path SCREENSHOTS = Path.of("target/browser-screenshots");

	/** Few steps keep the run short, enough to stop on the held step and restart. */
	private static final int STEPS = 6;

	/** The images an analyze job compares its sources on. */
	private static final int ANALYZED_IMAGES = 2;

	private static final long TIMEOUT_MINUTES = 12;

	@TempDir
	static Path storage;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("phreg.storage-root", () -> storage.toString());
		registry.add("phreg.api-key", () -> KEY);
	}

	@LocalServerPort
	int port;

	@Test
	void aDemoJobIsSubmittedFollowedStoppedRestartedAndDownloadedFromThePage() throws Exception {
		String output = drive("web-page.mjs", Map.of("PHREG_STEPS", Integer.toString(STEPS), "PHREG_HELD_STEP",
				Long.toString(TrainingHeldUntilStopped.HELD_STEP)));

		assertThat(output).contains("ok - the chart shows each of the " + STEPS + " steps once",
				"ok - each exported file is listed with its SHA-256", "ALL CHECKS PASSED");
		assertThat(SCREENSHOTS.resolve("04-completed.png")).isNotEmptyFile();
	}

	@Test
	void anAnalyzeJobIsSubmittedFromThePageAndShowsItsTargetSourcesSideBySide() throws Exception {
		String output = drive("analyze-page.mjs", Map.of("PHREG_IMAGES", Integer.toString(ANALYZED_IMAGES)));

		assertThat(output).contains("ok - the sources are side by side: teacher, tta, test-time-registers, both",
				"ok - the " + ANALYZED_IMAGES + " image panels and the neuron picture load", "ALL CHECKS PASSED");
		assertThat(SCREENSHOTS.resolve("analyze-02-completed.png")).isNotEmptyFile();
	}

	/**
	 * Runs a script of {@code src/test/browser} against this service and asserts it
	 * ended, and passed, in time.
	 * @return what it printed, also kept as {@code <script>.log} beside the screenshots
	 */
	private String drive(String script, Map<String, String> environment) throws IOException, InterruptedException {
		assertThat(BROWSER_TESTS.resolve("node_modules/playwright-core"))
			.as("playwright-core: run npm ci in %s", BROWSER_TESTS)
			.isDirectory();
		Path screenshots = Files.createDirectories(SCREENSHOTS);
		Path log = screenshots.resolve(script.replace(".mjs", ".log"));
		ProcessBuilder builder = new ProcessBuilder("node", script).directory(BROWSER_TESTS.toFile())
			.redirectErrorStream(true)
			.redirectOutput(log.toFile());
		builder.environment().put("PHREG_URL", "http://127.0.0.1:" + this.port);
		builder.environment().put("PHREG_API_KEY", KEY);
		builder.environment().put("PHREG_SCREENSHOTS", screenshots.toAbsolutePath().toString());
		builder.environment().putAll(environment);
		Process node = builder.start();
		boolean ended = node.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
		if (!ended) {
			node.destroyForcibly();
		}
		String output = read(log);
		assertThat(ended).as("the browser run ended within %d minutes:%n%s", TIMEOUT_MINUTES, output).isTrue();
		assertThat(node.exitValue()).as(output).isZero();
		return output;
	}

	private static String read(Path log) throws IOException {
		return Files.isRegularFile(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
	}

}
