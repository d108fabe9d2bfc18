package ai.phreg.api;

import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import static org.hamcrest.Matchers.containsString;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@ApiSliceTest
class ApiKeyFilterTests {

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	@BeforeEach
	void jobsExist() {
		given(this.jobs.get("j1")).willReturn(JobViews.view("j1", JobState.STARTED));
		given(this.jobs.stop("j1")).willReturn(JobViews.view("j1", JobState.STOPPING));
	}

	@Test
	void changesWithoutTheKeyAreUnauthorized() throws Exception {
		this.mvc.perform(post("/api/v1/jobs/j1/stop"))
			.andExpect(status().isUnauthorized())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(header().string("WWW-Authenticate", "ApiKey header=\"X-API-Key\""))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/api-key"))
			.andExpect(jsonPath("$.status").value(401))
			.andExpect(jsonPath("$.detail").value("Send the API key in the X-API-Key header."));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void changesWithAWrongKeyAreUnauthorized() throws Exception {
		this.mvc.perform(post("/api/v1/jobs/j1/stop").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY + "x"))
			.andExpect(status().isUnauthorized())
			.andExpect(jsonPath("$.detail").value("The X-API-Key header does not hold the API key."));

		then(this.jobs).shouldHaveNoInteractions();
	}

	@Test
	void changesWithTheKeyPass() throws Exception {
		this.mvc.perform(post("/api/v1/jobs/j1/stop").header(ApiKeyFilter.HEADER, ApiSliceTest.API_KEY))
			.andExpect(status().isAccepted());
	}

	@Test
	void readingNeedsNoKey() throws Exception {
		this.mvc.perform(get("/api/v1/jobs/j1")).andExpect(status().isOk());
	}

	@Nested
	@TestPropertySource(properties = { "phreg.api-key=", "server.address=" })
	class WithoutAKeyOnEveryInterface {

		@Test
		void changesAreForbiddenWithAHowTo() throws Exception {
			ApiKeyFilterTests.this.mvc.perform(post("/api/v1/jobs/j1/stop"))
				.andExpect(status().isForbidden())
				.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
				.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/api-key-not-configured"))
				.andExpect(jsonPath("$.detail", containsString("PHREG_API_KEY")));

			then(ApiKeyFilterTests.this.jobs).shouldHaveNoInteractions();
		}

		@Test
		void readingStillWorks() throws Exception {
			ApiKeyFilterTests.this.mvc.perform(get("/api/v1/jobs/j1")).andExpect(status().isOk());
		}

	}

	@Nested
	@TestPropertySource(properties = { "phreg.api-key=", "server.address=0.0.0.0" })
	class WithoutAKeyOnTheWildcardAddress {

		@Test
		void changesAreForbidden() throws Exception {
			ApiKeyFilterTests.this.mvc.perform(post("/api/v1/jobs/j1/stop")).andExpect(status().isForbidden());
		}

	}

	@Nested
	@TestPropertySource(properties = { "phreg.api-key=", "server.address=127.0.0.1" })
	class WithoutAKeyOnLoopback {

		@Test
		void changesNeedNoKey() throws Exception {
			ApiKeyFilterTests.this.mvc.perform(post("/api/v1/jobs/j1/stop")).andExpect(status().isAccepted());
		}

	}

}
