package ai.phreg.api;

import java.util.stream.Stream;

import ai.phreg.job.JobService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.mockito.BDDMockito.then;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** Requests that never reach the job service because their body is wrong. */
@ApiSliceTest
class JobRequestValidationTests {

	private static final JsonMapper json = JsonMapper.builder().build();

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	/** The minimal valid request with {@code changes} merged in; null removes a field. */
	private static String minimalWith(String changes) {
		ObjectNode body = (ObjectNode) json.readTree(JobControllerTests.MINIMAL);
		json.readTree(changes).properties().forEach((field) -> {
			if (field.getValue().isNull()) {
				body.remove(field.getKey());
			}
			else {
				body.set(field.getKey(), field.getValue());
			}
		});
		return json.writeValueAsString(body);
	}

	static Stream<Arguments> badSpecs() {
		return Stream.of(Arguments.of("missing teacher", "{\"teacher\": null}", "teacher"),
				Arguments.of("blank images", "{\"images\": \" \"}", "images"),
				Arguments.of("no registers", "{\"registers\": 0}", "registers"),
				Arguments.of("too many registers", "{\"registers\": 65}", "registers"),
				Arguments.of("unknown unlock policy", "{\"unlock\": \"everything\"}", "unlock"),
				Arguments.of("custom unlock without patterns", "{\"unlock\": \"custom\"}", "unlockPatterns"),
				Arguments.of("patterns without custom unlock", "{\"unlockPatterns\": [\"blocks.*\"]}",
						"unlockPatterns"),
				Arguments.of("blank unlock pattern", "{\"unlock\": \"custom\", \"unlockPatterns\": [\"\"]}",
						"unlockPatterns[0]"),
				Arguments.of("too many views", "{\"views\": 33}", "views"),
				Arguments.of("shift of half the grid", "{\"shiftFraction\": 0.5}", "shiftFraction"),
				Arguments.of("negative shift", "{\"shiftFraction\": -0.1}", "shiftFraction"),
				Arguments.of("resolution below one patch", "{\"resolution\": 13}", "resolution"),
				Arguments.of("empty batches", "{\"batchSize\": 0}", "batchSize"),
				Arguments.of("neither epochs nor steps", "{\"epochs\": null}", "epochs"),
				Arguments.of("both epochs and steps", "{\"steps\": 100}", "steps"),
				Arguments.of("too many epochs", "{\"epochs\": 10001}", "epochs"),
				Arguments.of("zero steps", "{\"epochs\": null, \"steps\": 0}", "steps"),
				Arguments.of("zero learning rate", "{\"learningRate\": 0}", "learningRate"),
				Arguments.of("rising learning rate", "{\"learningRate\": 1e-4, \"endLearningRate\": 1e-3}",
						"endLearningRate"),
				Arguments.of("negative weight decay", "{\"weightDecay\": -0.01}", "weightDecay"),
				Arguments.of("unknown device", "{\"device\": \"gpu\"}", "device"),
				Arguments.of("unknown teacher precision", "{\"teacherPrecision\": \"int8\"}", "teacherPrecision"),
				Arguments.of("no checkpoints", "{\"checkpointEvery\": 0}", "checkpointEvery"),
				Arguments.of("unknown export format", "{\"exportFormats\": [\"TIMM\", \"ONNX\"]}", "exportFormats[1]"),
				Arguments.of("too many evaluation images", "{\"evaluationImages\": 1001}", "evaluationImages"),
				Arguments.of("text for a number", "{\"registers\": \"many\"}", "registers"),
				Arguments.of("a single format for a list", "{\"exportFormats\": \"TIMM\"}", "exportFormats"),
				Arguments.of("misspelt field", "{\"learning_rate\": 1e-4}", "learning_rate"),
				Arguments.of("a fraction for an integer", "{\"registers\": 16.5}", "registers"),
				Arguments.of("a whole float for an integer", "{\"epochs\": 2.0}", "epochs"),
				Arguments.of("an exponent for an integer", "{\"epochs\": null, \"steps\": 1e3}", "steps"),
				Arguments.of("a number past int", "{\"registers\": 99999999999}", "registers"),
				Arguments.of("a number past long", "{\"epochs\": null, \"steps\": 99999999999999999999}", "steps"),
				Arguments.of("a number in a string", "{\"views\": \"8\"}", "views"),
				Arguments.of("a number for a string", "{\"device\": 0}", "device"),
				Arguments.of("a number in a list of strings", "{\"exportFormats\": [\"TIMM\", 1]}", "exportFormats[1]"),
				Arguments.of("infinity in a string", "{\"learningRate\": \"Infinity\"}", "learningRate"),
				Arguments.of("not a number in a string", "{\"shiftFraction\": \"NaN\"}", "shiftFraction"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("badSpecs")
	void badSpecIsAProblemNamingTheField(String kind, String changes, String field) throws Exception {
		this.mvc.perform(JobControllerTests.submit(minimalWith(changes)))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/invalid-spec"))
			.andExpect(jsonPath("$.status").value(400))
			.andExpect(jsonPath("$.errors[*].field", contains(field)));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void everyBadFieldIsListed() throws Exception {
		String body = minimalWith("""
				{"teacher": "", "registers": 0, "views": 0, "device": "tpu", "steps": 10,
				 "exportFormats": ["TIMM", "ONNX"]}""");

		this.mvc.perform(JobControllerTests.submit(body))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[*].field",
					contains("device", "exportFormats[1]", "registers", "steps", "teacher", "views")))
			.andExpect(
					jsonPath("$.errors[?(@.field == 'registers')].message").value("must be greater than or equal to 1"))
			.andExpect(jsonPath("$.detail").value("6 fields are invalid: see errors"));
	}

	@Test
	void targetCacheIsOffOrOnWithAtLeastOneViewSet() throws Exception {
		this.mvc.perform(JobControllerTests.submit(minimalWith("{\"targetCache\": \"yes\", \"viewSets\": 0}")))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[*].field", contains("targetCache", "viewSets")))
			.andExpect(jsonPath("$.errors[?(@.field == 'targetCache')].message").value("must be off or on"));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void targetsAreOneOfTheThreeSources() throws Exception {
		this.mvc.perform(JobControllerTests.submit(minimalWith("{\"targets\": \"registers\"}")))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[*].field", contains("targets")))
			.andExpect(jsonPath("$.errors[?(@.field == 'targets')].message")
				.value("must be tta, test-time-registers or both"));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void badIdempotencyKeyIsListedWithTheBodysErrors() throws Exception {
		this.mvc
			.perform(JobControllerTests.submit(minimalWith("{\"registers\": 0}"))
				.header("Idempotency-Key", "k".repeat(201)))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/invalid-spec"))
			.andExpect(jsonPath("$.errors[*].field", contains("Idempotency-Key", "registers")));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void unknownPropertiesAreRefused() throws Exception {
		this.mvc.perform(JobControllerTests.submit(minimalWith("{\"registerz\": 8}")))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[0].field").value("registerz"))
			.andExpect(jsonPath("$.errors[0].message").value("is not a known property"));
	}

	@Test
	void everyBadFieldIsListedWhateverKindOfProblemItHas() throws Exception {
		// Written out: a round trip through a JSON tree would turn 1e400 into "Infinity".
		String body = """
				{"teacher": "demo", "images": "demo", "epochs": 2,
				 "registers": 16.5, "learningRate": 1e400, "views": 0, "resolution": 99999999999,
				 "registerz": 8, "learning_rate": 1e-4, "device": "tpu", "exportFormats": ["TIMM", 2]}""";

		this.mvc.perform(JobControllerTests.submit(body))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/invalid-spec"))
			.andExpect(jsonPath("$.errors[*].field",
					contains("device", "exportFormats[1]", "learningRate", "learning_rate", "registers", "registerz",
							"resolution", "views")))
			.andExpect(jsonPath("$.errors[?(@.field == 'registers')].message").value("must be an integer"))
			.andExpect(jsonPath("$.errors[?(@.field == 'learningRate')].message").value("must be a finite number"))
			.andExpect(jsonPath("$.errors[?(@.field == 'resolution')].message").value("is out of range for an integer"))
			.andExpect(jsonPath("$.errors[?(@.field == 'registerz')].message").value("is not a known property"))
			.andExpect(jsonPath("$.errors[?(@.field == 'views')].message").value("must be greater than or equal to 1"))
			.andExpect(jsonPath("$.detail").value("8 fields are invalid: see errors"));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@ParameterizedTest
	@ValueSource(strings = { "1e400", "-1e400", "1.8e308" })
	void numbersThatOverflowToInfinityAreRefused(String literal) throws Exception {
		String body = """
				{"teacher": "demo", "images": "demo", "epochs": 2, "weightDecay": %s}""".formatted(literal);

		this.mvc.perform(JobControllerTests.submit(body))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[*].field", contains("weightDecay")))
			.andExpect(jsonPath("$.errors[0].message").value("must be a finite number"));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void aRepeatedKeyIsRefusedByName() throws Exception {
		String body = """
				{"teacher": "demo", "images": "demo", "epochs": 2, "registers": 4, "registers": 8}""";

		this.mvc.perform(JobControllerTests.submit(body))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/invalid-spec"))
			.andExpect(jsonPath("$.errors[*].field", contains("registers")))
			.andExpect(jsonPath("$.errors[0].message").value("appears more than once"));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void wrongTypesSayWhatWasExpected() throws Exception {
		this.mvc.perform(JobControllerTests.submit(minimalWith("{\"views\": \"ten\"}")))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[0].field").value("views"))
			.andExpect(jsonPath("$.errors[0].message").value("must be an integer"));
	}

	@Test
	void malformedJsonIsAProblemWithItsPlace() throws Exception {
		this.mvc.perform(JobControllerTests.submit("{\"teacher\": \"demo\",\n \"images\": }"))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/malformed-json"))
			.andExpect(jsonPath("$.detail", containsString("line 2")));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void anEmptyBodyIsMalformed() throws Exception {
		this.mvc.perform(JobControllerTests.submit(""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/malformed-json"));
	}

}
