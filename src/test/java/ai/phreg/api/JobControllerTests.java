package ai.phreg.api;

import java.util.List;
import java.util.Map;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.job.DistillSpec;
import ai.phreg.job.InvalidSpecException;
import ai.phreg.job.JobList;
import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import ai.phreg.job.JobStateException;
import ai.phreg.job.UnknownJobException;
import ai.phreg.job.Unlock;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@ApiSliceTest
class JobControllerTests {

	static final String MINIMAL = """
			{"teacher": "demo", "images": "demo", "epochs": 2}""";

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	static MockHttpServletRequestBuilder submit(String body) {
		return post("/api/v1/jobs").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY)
			.contentType(MediaType.APPLICATION_JSON)
			.content(body);
	}

	@Test
	void submitQueuesTheSpecWithDefaultsAndPointsToTheJob() throws Exception {
		given(this.jobs.submit(any(), any())).willReturn(JobViews.view("j1", JobState.QUEUED));

		this.mvc.perform(submit(MINIMAL))
			.andExpect(status().isAccepted())
			.andExpect(header().string("Location", "/api/v1/jobs/j1"))
			.andExpect(jsonPath("$.id").value("j1"))
			.andExpect(jsonPath("$.state").value("QUEUED"))
			.andExpect(jsonPath("$.url").value("/api/v1/jobs/j1"));

		ArgumentCaptor<DistillSpec> spec = ArgumentCaptor.forClass(DistillSpec.class);
		then(this.jobs).should().submit(spec.capture(), isNull());
		assertThat(spec.getValue()).isEqualTo(new DistillSpec("demo", "demo", 16, Unlock.DEFAULT, List.of(), 10, 0.15,
				null, 8, 2, null, null, null, 0.01, 0, "auto", 50, List.of(), null, null, false, null, null));
	}

	@Test
	void submitPassesEveryFieldAndTheIdempotencyKey() throws Exception {
		given(this.jobs.submit(any(), any())).willReturn(JobViews.view("j2", JobState.QUEUED));
		String body = """
				{"teacher": "file:///data/dinov2", "images": "/data/images.tar", "registers": 4,
				 "unlock": "custom", "unlockPatterns": ["blocks.11.*"], "views": 3, "shiftFraction": 0,
				 "resolution": 224, "batchSize": 2, "steps": 500, "learningRate": 1e-3, "endLearningRate": 1e-3,
				 "weightDecay": 0, "seed": 42, "device": "cuda:1", "checkpointEvery": 100,
				 "exportFormats": ["DINOV2_HF", "TIMM"], "evaluationImages": 0, "targetCache": "on", "viewSets": 2}""";

		this.mvc.perform(submit(body).header("Idempotency-Key", "retry-1")).andExpect(status().isAccepted());

		then(this.jobs).should()
			.submit(eq(new DistillSpec("file:///data/dinov2", "/data/images.tar", 4, Unlock.CUSTOM,
					List.of("blocks.11.*"), 3, 0.0, 224, 2, null, 500L, 1e-3, 1e-3, 0.0, 42, "cuda:1", 100,
					List.of(CheckpointFormat.DINOV2_HF, CheckpointFormat.TIMM), 0, null, false, true, 2)),
					eq("retry-1"));
	}

	@Test
	void invalidSpecFromTheServiceIsAProblemNamingEachField() throws Exception {
		given(this.jobs.submit(any(), any())).willThrow(new InvalidSpecException(
				Map.of("teacher", "/data/x is outside the allowed roots", "images", "no such folder")));

		this.mvc.perform(submit(MINIMAL))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/invalid-spec"))
			.andExpect(jsonPath("$.title").value("Invalid job spec"))
			.andExpect(jsonPath("$.errors[*].field", containsInAnyOrder("teacher", "images")))
			.andExpect(jsonPath("$.errors[?(@.field == 'teacher')].message")
				.value("/data/x is outside the allowed roots"));
	}

	@Test
	void listShowsEveryJob() throws Exception {
		given(this.jobs.list(null, 0, Integer.MAX_VALUE)).willReturn(
				new JobList(List.of(JobViews.view("j2", JobState.QUEUED), JobViews.view("j1", JobState.COMPLETED)), 2));

		this.mvc.perform(get("/api/v1/jobs"))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$[*].id", containsInAnyOrder("j2", "j1")));
	}

	@Test
	void getShowsStateProgressAndSpec() throws Exception {
		given(this.jobs.get("j1")).willReturn(JobViews.view("j1", JobState.STARTED));

		this.mvc.perform(get("/api/v1/jobs/j1"))
			.andExpect(status().isOk())
			.andExpect(content().contentType(MediaType.APPLICATION_JSON))
			.andExpect(jsonPath("$.state").value("STARTED"))
			.andExpect(jsonPath("$.progress.step").value(25))
			.andExpect(jsonPath("$.progress.percent").value(25.0))
			.andExpect(jsonPath("$.progress.etaSeconds").value(12.5))
			.andExpect(jsonPath("$.progress.cosineLoss").value(0.5))
			.andExpect(jsonPath("$.progress.imagesPerSecond").value(3.5))
			.andExpect(jsonPath("$.spec.registers").value(16))
			.andExpect(jsonPath("$.createdAt").value("2025-01-02T03:04:05Z"));
	}

	@Test
	void unknownJobIsNotFound() throws Exception {
		given(this.jobs.get("nope")).willThrow(new UnknownJobException("nope"));

		this.mvc.perform(get("/api/v1/jobs/nope"))
			.andExpect(status().isNotFound())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/unknown-job"))
			.andExpect(jsonPath("$.detail").value("No job nope"))
			.andExpect(jsonPath("$.instance").value("/api/v1/jobs/nope"));
	}

	@Test
	void anUnexpectedFailureIsAnInternalErrorWithAReferenceAndNoJavaNames() throws Exception {
		given(this.jobs.get("j1")).willThrow(new NegativeArraySizeException("-1794967296"));
		given(this.jobs.get("j2")).willThrow(new IllegalStateException("No values to bin on a LOGARITHMIC scale"));

		this.mvc.perform(get("/api/v1/jobs/j1"))
			.andExpect(status().isInternalServerError())
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/internal"))
			.andExpect(jsonPath("$.detail", startsWith("An input was too large to process")));
		this.mvc.perform(get("/api/v1/jobs/j2"))
			.andExpect(status().isInternalServerError())
			.andExpect(jsonPath("$.detail",
					matchesPattern("Internal error: the server log has the details under reference \\p{XDigit}+\\.")));
	}

	@Test
	void stopAnswersWithTheStoppingJob() throws Exception {
		given(this.jobs.stop("j1")).willReturn(JobViews.view("j1", JobState.STOPPING));

		this.mvc.perform(post("/api/v1/jobs/j1/stop").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY))
			.andExpect(status().isAccepted())
			.andExpect(jsonPath("$.state").value("STOPPING"));
	}

	@Test
	void restartOfARunningJobIsAConflictNamingItsState() throws Exception {
		given(this.jobs.restart("j1")).willThrow(
				new JobStateException("Job j1 is running; only stopped or failed jobs restart", JobState.STARTED));

		this.mvc.perform(post("/api/v1/jobs/j1/restart").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY))
			.andExpect(status().isConflict())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/job-state"))
			.andExpect(jsonPath("$.state").value("STARTED"));
	}

	@Test
	void restartOfAStoppedJobIsAccepted() throws Exception {
		given(this.jobs.restart("j1")).willReturn(JobViews.view("j1", JobState.QUEUED));

		this.mvc.perform(post("/api/v1/jobs/j1/restart").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY))
			.andExpect(status().isAccepted())
			.andExpect(jsonPath("$.id").value("j1"));
	}

	@Test
	void unsupportedMethodsAndMediaTypesAreSpringsProblems() throws Exception {
		this.mvc.perform(delete("/api/v1/jobs/j1").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY))
			.andExpect(status().isMethodNotAllowed())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
		this.mvc
			.perform(post("/api/v1/jobs").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY)
				.contentType(MediaType.TEXT_PLAIN)
				.content(MINIMAL))
			.andExpect(status().isUnsupportedMediaType())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

}
