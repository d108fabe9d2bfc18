package ai.phreg.api;

import ai.phreg.job.JobService;
import ai.phreg.system.PhregConfiguration;
import org.junit.jupiter.api.Test;
import org.springdoc.core.configuration.SpringDocConfiguration;
import org.springdoc.core.properties.SpringDocConfigProperties;
import org.springdoc.webmvc.core.configuration.SpringDocWebMvcConfiguration;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import static org.hamcrest.Matchers.hasKey;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@ApiSliceTest
@Import(PhregConfiguration.class)
@ImportAutoConfiguration({ SpringDocConfiguration.class, SpringDocConfigProperties.class,
		SpringDocWebMvcConfiguration.class })
class OpenApiTests {

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	@Test
	void apiDocsDescribeTheJobEndpoints() throws Exception {
		this.mvc.perform(get("/v3/api-docs"))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$.info.title").value("phreg"))
			.andExpect(jsonPath("$.info.version").value("v1"))
			.andExpect(jsonPath("$.paths", hasKey("/api/v1/jobs")))
			.andExpect(jsonPath("$.paths", hasKey("/api/v1/jobs/{id}")))
			.andExpect(jsonPath("$.paths", hasKey("/api/v1/jobs/{id}/stop")))
			.andExpect(jsonPath("$.paths", hasKey("/api/v1/jobs/{id}/restart")))
			.andExpect(jsonPath("$.paths", hasKey("/api/v1/jobs/{id}/events")))
			.andExpect(jsonPath("$.paths", hasKey("/api/v1/jobs/{id}/artifacts")))
			.andExpect(jsonPath("$.paths", hasKey("/api/v1/jobs/{id}/artifacts/{name}")))
			.andExpect(jsonPath("$.paths['/api/v1/jobs'].post.responses", hasKey("202")))
			.andExpect(jsonPath("$.paths['/api/v1/jobs/{id}/stop'].post.security[0]", hasKey("apiKey")));
	}

}
