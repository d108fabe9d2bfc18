package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.system.FailureMessages;
import ai.phreg.TemporaryStorage;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The job package's wiring of the memory estimate and of the user-facing failure
 * messages, through the API: a spec whose training step would not fit the configured
 * memory limit is refused at submission with the estimate; a job that fails on a Java
 * runtime exception shows a sentence, no exception name. Specs are sent as JSON, with the
 * API's defaults.
 */
@SpringBootTest(
		properties = { "phreg.api-key=" + SubmissionChecksAndFailureMessagesTests.KEY, "phreg.memory-limit=8GB" })
@AutoConfigureMockMvc
class SubmissionChecksAndFailureMessagesTests extends TemporaryStorage {

	static final String KEY = "submission-checks-test-key";

	/** A teacher with the demo teacher's header whose weights fail to load. */
	static final String EXPLODING = "exploding-teacher";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@Autowired
	MockMvc mvc;

	@Autowired
	JobService jobs;

	@Test
	void aStepOverTheMemoryLimitIsRefusedNamingTheResolutionWithTheEstimate() throws Exception {
		// 1022 is the multiple of the demo teacher's patch size 14 nearest to 1024
		this.mvc.perform(submit("""
				{"teacher": "demo", "images": "demo", "steps": 1, "resolution": 1022, "batchSize": 64}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors.length()").value(1))
			.andExpect(jsonPath("$.errors[0].field").value("resolution"))
			.andExpect(jsonPath("$.errors[0].message", startsWith("A training step would need about ")))
			.andExpect(jsonPath("$.errors[0].message", containsString("more than the memory limit of 8.0 GiB")));
	}

	@Test
	void withoutAResolutionTheTeachersNativeOneIsEstimatedAndTheBatchSizeNamed() throws Exception {
		this.mvc.perform(submit("""
				{"teacher": "demo", "images": "demo", "steps": 1, "batchSize": 256}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[0].field").value("batchSize"))
			.andExpect(jsonPath("$.errors[0].message", containsString("memory limit of 8.0 GiB")));
	}

	@Test
	void aTeacherPrecisionTheDeviceCannotRunIsRefusedBeforeTraining() throws Exception {
		this.mvc.perform(submit("""
				{"teacher": "demo", "images": "demo", "steps": 1, "device": "cpu", "teacherPrecision": "fp16"}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors.length()").value(1))
			.andExpect(jsonPath("$.errors[0].field").value("teacherPrecision"))
			.andExpect(jsonPath("$.errors[0].message", containsString("fp16 needs a CUDA device")));
	}

	@Test
	void theDemoDefaultsFitTheLimitAndAreQueued() throws Exception {
		// about 4 GiB at the native 224 px, batch 8 and 10 views
		String id = id(this.mvc.perform(submit("""
				{"teacher": "demo", "images": "demo", "steps": 1}""")).andExpect(status().isAccepted()));

		// stopped once launched (a queued job may be launched while it is being stopped)
		JobAwaiting.awaitEvenIfFailed(this.jobs, id, (view) -> view.state().isActive(), Duration.ofMinutes(2));
		this.jobs.stop(id);
		JobAwaiting.awaitEvenIfFailed(this.jobs, id, (view) -> view.state() == JobState.STOPPED, Duration.ofMinutes(2));
	}

	/**
	 * phreg reads transformers' SigLIP towers but cannot write a student in their layout,
	 * which has no registers: a job on such a teacher must be refused before training,
	 * not fail at its export.
	 */
	@Test
	void aStudentWhoseExportFormatCannotBeWrittenIsRefusedBeforeTraining() throws Exception {
		String teacher = modernFixture("siglip/siglip_vit.hf");

		this.mvc.perform(submit("""
				{"teacher": "%s", "images": "demo", "steps": 1}""".formatted(teacher)))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors.length()").value(1))
			.andExpect(jsonPath("$.errors[0].field").value("exportFormats"))
			.andExpect(jsonPath("$.errors[0].message", containsString("SIGLIP_HF teacher cannot be exported")))
			.andExpect(jsonPath("$.errors[0].message", containsString("no register tokens")));
		this.mvc
			.perform(submit("""
					{"teacher": "%s", "images": "demo", "steps": 1, "exportFormats": ["SIGLIP_HF", "TIMM"]}"""
				.formatted(teacher)))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors.length()").value(2))
			.andExpect(jsonPath("$.errors[0].field").value("exportFormats[0]"))
			.andExpect(jsonPath("$.errors[0].message", containsString("cannot be exported as SIGLIP_HF")))
			.andExpect(jsonPath("$.errors[1].field").value("exportFormats[1]"))
			.andExpect(jsonPath("$.errors[1].message", containsString("can be exported as [SIGLIP_HF], not TIMM")));
	}

	/**
	 * A checkpoint of the modern fixture set (the second configured one), copied under
	 * the storage root, the only root jobs here may name: a folder checkpoint with its
	 * files, a single file with its folder's sidecar configs.
	 */
	private static String modernFixture(String relative) throws IOException {
		Path source = Fixtures.roots().get(1).resolve(relative);
		assertThat(source).exists();
		Path target = STORAGE.resolve("modern-fixtures").resolve(relative);
		Path sourceFolder = Files.isDirectory(source) ? source : source.getParent();
		Path folder = Files.createDirectories(Files.isDirectory(source) ? target : target.getParent());
		try (Stream<Path> files = Files.list(sourceFolder)) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				Files.copy(file, folder.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
			}
		}
		return target.toAbsolutePath().normalize().toString();
	}

	@Test
	void aJobFailingOnAJavaRuntimeExceptionShowsASentenceWithoutTheExceptionsName() throws Exception {
		String id = id(this.mvc.perform(submit("""
				{"teacher": "%s", "images": "demo", "steps": 1}""".formatted(EXPLODING)))
			.andExpect(status().isAccepted()));

		JobView failed = JobAwaiting.awaitEvenIfFailed(this.jobs, id, (view) -> view.state() == JobState.FAILED,
				Duration.ofMinutes(2));
		// Spring Batch writes the failure before its listeners rewrite it: wait for that
		failed = JobAwaiting.awaitEvenIfFailed(this.jobs, id,
				(view) -> view.errors().stream().noneMatch((error) -> error.contains("Exception")),
				Duration.ofSeconds(30));

		assertThat(failed.errors()).singleElement()
			.asString()
			.startsWith("Internal error: the server log has the details under reference ");
	}

	@Test
	void theJobsOwnExceptionsKeepTheirMessagesAndOthersGoThroughFailureMessages() {
		assertThat(JobFailures.describe(new NonFiniteTrainingException(5, 12)))
			.isEqualTo(new NonFiniteTrainingException(5, 12).getMessage());
		assertThat(JobFailures.describe(new InvalidSpecException(Map.of("images", "no such folder"))))
			.isEqualTo("Invalid job spec: images: no such folder");
		assertThat(JobFailures.describe(new OutOfMemoryError("Java heap space")))
			.isEqualTo(FailureMessages.describe(new OutOfMemoryError("Java heap space")))
			.doesNotContain("Error");
	}

	private static MockHttpServletRequestBuilder submit(String body) {
		return post("/api/v1/jobs").header("X-API-Key", KEY).contentType(MediaType.APPLICATION_JSON).content(body);
	}

	private static String id(ResultActions result) throws Exception {
		return JSON.readTree(result.andReturn().getResponse().getContentAsString()).get("id").asString();
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class ExplodingTeacher {

		@Bean
		@Order(Ordered.HIGHEST_PRECEDENCE)
		TeacherSource explodingTeacherSource() {
			DemoTeacherSource demo = new DemoTeacherSource();
			return new TeacherSource() {

				@Override
				public boolean accepts(String teacher) {
					return EXPLODING.equals(teacher);
				}

				@Override
				public TeacherDescription describe(String teacher, Integer heads) {
					return demo.describe(DemoTeacherSource.NAME, heads);
				}

				@Override
				public LoadedModel load(String teacher, Integer heads, NDManager manager) {
					throw new IllegalStateException("java.lang.IllegalStateException: weights of " + teacher);
				}

			};
		}

	}

}
