package ai.phreg.api;

import java.util.function.Consumer;

import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import ai.phreg.job.JobView;
import ai.phreg.job.UnknownJobException;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@ApiSliceTest
class JobEventsTests {

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	@Test
	void aRunningJobStreamsItsViewNowAndOnEveryChangeUntilItEnds() throws Exception {
		AutoCloseable subscription = mock(AutoCloseable.class);
		given(this.jobs.get("j1")).willReturn(JobViews.view("j1", JobState.STARTED));
		given(this.jobs.subscribe(eq("j1"), any())).willReturn(subscription);

		MvcResult result = this.mvc.perform(get("/api/v1/jobs/j1/events").accept(MediaType.TEXT_EVENT_STREAM))
			.andExpect(request().asyncStarted())
			.andReturn();

		assertThat(result.getResponse().getContentType()).startsWith(MediaType.TEXT_EVENT_STREAM_VALUE);
		assertThat(result.getResponse().getContentAsString()).startsWith("event:progress\ndata:{\"id\":\"j1\"")
			.contains("\"state\":\"STARTED\"");

		ArgumentCaptor<Consumer<JobView>> listener = listenerOf("j1");
		listener.getValue().accept(JobViews.view("j1", JobState.STOPPING));
		listener.getValue().accept(JobViews.view("j1", JobState.COMPLETED));

		assertThat(result.getResponse().getContentAsString().split("\n\n")).hasSize(3)
			.satisfies((events) -> assertThat(events[1]).contains("\"state\":\"STOPPING\""))
			.satisfies((events) -> assertThat(events[2]).contains("\"state\":\"COMPLETED\""));
		then(subscription).should().close();
		this.mvc.perform(asyncDispatch(result)).andExpect(status().isOk());
	}

	@Test
	void anEndedJobStreamsOneEventAndCompletes() throws Exception {
		given(this.jobs.get("j1")).willReturn(JobViews.view("j1", JobState.COMPLETED));

		MvcResult result = this.mvc.perform(get("/api/v1/jobs/j1/events"))
			.andExpect(request().asyncStarted())
			.andReturn();
		this.mvc.perform(asyncDispatch(result))
			.andExpect(status().isOk())
			.andExpect(content().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM));

		assertThat(result.getResponse().getContentAsString()).containsOnlyOnce("event:progress")
			.contains("\"state\":\"COMPLETED\"");
		then(this.jobs).should(never()).subscribe(any(), any());
	}

	@Test
	void aJobEndingWhileSubscribingStillEndsTheStream() throws Exception {
		AutoCloseable subscription = mock(AutoCloseable.class);
		given(this.jobs.get("j1")).willReturn(JobViews.view("j1", JobState.STARTED),
				JobViews.view("j1", JobState.COMPLETED));
		given(this.jobs.subscribe(eq("j1"), any())).willReturn(subscription);

		MvcResult result = this.mvc.perform(get("/api/v1/jobs/j1/events")).andReturn();

		this.mvc.perform(asyncDispatch(result)).andExpect(status().isOk());
		assertThat(result.getResponse().getContentAsString()).contains("\"state\":\"COMPLETED\"");
		then(subscription).should().close();
	}

	@Test
	void anUnknownJobIsNotFoundBeforeStreaming() throws Exception {
		given(this.jobs.get("nope")).willThrow(new UnknownJobException("nope"));

		this.mvc.perform(get("/api/v1/jobs/nope/events").accept(MediaType.TEXT_EVENT_STREAM))
			.andExpect(status().isNotFound())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(request().asyncNotStarted())
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/unknown-job"));
	}

	@SuppressWarnings("unchecked")
	private ArgumentCaptor<Consumer<JobView>> listenerOf(String id) {
		ArgumentCaptor<Consumer<JobView>> listener = ArgumentCaptor.forClass(Consumer.class);
		then(this.jobs).should().subscribe(eq(id), listener.capture());
		return listener;
	}

}
