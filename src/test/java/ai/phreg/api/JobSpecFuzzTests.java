package ai.phreg.api;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;

/**
 * A seeded mutation loop over the job spec: whatever the body, the answer is a 202 or a
 * 400 problem, never an internal error, and a problem never echoes a Java type.
 */
@ApiSliceTest
class JobSpecFuzzTests {

	private static final int INPUTS = 3000;

	private static final String VALID = """
			{"teacher": "demo", "images": "demo", "registers": 4, "unlock": "custom",
			 "unlockPatterns": ["blocks.11.*"], "views": 3, "shiftFraction": 0.1, "resolution": 224,
			 "batchSize": 2, "steps": 500, "learningRate": 1e-3, "endLearningRate": 1e-4, "weightDecay": 0,
			 "seed": 42, "device": "cpu", "checkpointEvery": 100, "exportFormats": ["DINOV2_HF", "TIMM"],
			 "evaluationImages": 0}""";

	/**
	 * Fragments that probe the strict reading: overflow, wrong kinds, repeats, nesting.
	 */
	private static final List<String> FRAGMENTS = List.of("1e400", "-1e400", "16.5", "99999999999",
			"99999999999999999999999", "\"NaN\"", "\"Infinity\"", "null", "true", "[]", "{}", "\"\"", "[1, 2]",
			"{\"a\": 1}", "\"registers\": 1, \"registers\"", ",", ":", "\"", "\\u0000", "[[[[[[[[", "}}}}", "-", "0x10",
			"1e-400", "\"cuda:999\"", "\"../..\"");

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	@Test
	void everyMutatedSpecIsAcceptedOrAProblemNeverAnInternalError() throws Exception {
		given(this.jobs.submit(any(), any())).willReturn(JobViews.view("j1", JobState.QUEUED));
		Random random = new Random(9);
		int accepted = 0;
		for (int i = 0; i < INPUTS; i++) {
			String body = mutate(VALID, random);
			MvcResult result = this.mvc.perform(JobControllerTests.submit(body)).andReturn();
			int status = result.getResponse().getStatus();
			String answer = result.getResponse().getContentAsString(StandardCharsets.UTF_8);
			assertThat(status).as(body).isIn(202, 400);
			if (status == 400) {
				assertThat(result.getResponse().getContentType()).as(body)
					.isEqualTo(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
				assertThat(answer).as(body).doesNotContain("java.").doesNotContain("Exception");
			}
			else {
				accepted++;
			}
		}
		// The loop exercised both answers, not only refusals.
		assertThat(accepted).isBetween(1, INPUTS - 1);
	}

	private static String mutate(String valid, Random random) {
		StringBuilder body = new StringBuilder(valid);
		int mutations = 1 + random.nextInt(3);
		for (int m = 0; m < mutations; m++) {
			int at = random.nextInt(body.length());
			switch (random.nextInt(4)) {
				case 0 -> body.insert(at, FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
				case 1 -> body.deleteCharAt(at);
				case 2 -> body.setCharAt(at, (char) (32 + random.nextInt(95)));
				default -> {
					// Replace the value after a colon, keeping the JSON well formed more
					// often.
					int colon = body.indexOf(":", at);
					int end = (colon < 0) ? -1 : indexOfAny(body, colon + 1);
					if (end > 0) {
						body.replace(colon + 1, end, " " + FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
					}
				}
			}
		}
		return body.toString();
	}

	private static int indexOfAny(StringBuilder body, int from) {
		for (int i = from; i < body.length(); i++) {
			if (body.charAt(i) == ',' || body.charAt(i) == '}') {
				return i;
			}
		}
		return -1;
	}

}
