package ai.phreg.api;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.job.JobList;
import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import ai.phreg.job.StepRecord;
import ai.phreg.job.UnknownArtifactException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.forwardedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * What the web page reads beyond a job's view: the step history as JSON and CSV, the list
 * by state and page, the defaults for the form, export archives and its own URLs.
 */
@ApiSliceTest
class JobPageApiTests {

	private static final Instant AT = Instant.parse("2026-01-02T03:04:05Z");

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	@TempDir
	Path folder;

	private static List<StepRecord> twoSteps() {
		return List.of(new StepRecord(1, 0, true, 0.75f, 0.5f, 0.25f, 1e-3f, 4, 3.5, 120.25, 80.5, 0, AT),
				new StepRecord(2, 0, false, Float.NaN, Float.NaN, Float.NaN, 9e-4f, 4, 3.25, 121.0, 81.0, 1,
						AT.plusSeconds(2)));
	}

	@Test
	void historyIsAJsonArrayOfSteps() throws Exception {
		given(this.jobs.history("j1")).willReturn(twoSteps());

		this.mvc.perform(get("/api/v1/jobs/j1/history"))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$[*].step", contains(1, 2)))
			.andExpect(jsonPath("$[0].cosineLoss").value(0.5))
			.andExpect(jsonPath("$[0].teacherMillis").value(120.25))
			.andExpect(jsonPath("$[1].updated").value(false))
			.andExpect(jsonPath("$[1].skippedImages").value(1));
	}

	@Test
	void historyIsCsvWhenAskedFor() throws Exception {
		given(this.jobs.history("j1")).willReturn(twoSteps());

		String csv = this.mvc.perform(get("/api/v1/jobs/j1/history").accept("text/csv"))
			.andExpect(status().isOk())
			.andExpect(header().string(HttpHeaders.CONTENT_TYPE, containsString("text/csv")))
			.andReturn()
			.getResponse()
			.getContentAsString();

		assertThat(csv.lines()).containsExactly(StepRecord.CSV_HEADER,
				"1,0,true,0.75,0.5,0.25,0.001,4,3.5,120.25,80.5,0,2026-01-02T03:04:05Z",
				"2,0,false,NaN,NaN,NaN,9.0E-4,4,3.25,121.0,81.0,1,2026-01-02T03:04:07Z");
	}

	@Test
	void theListAsksTheServiceForOneStateAndOnePageAndShowsTheTotalCount() throws Exception {
		given(this.jobs.list(JobState.COMPLETED, 2, 2))
			.willReturn(new JobList(List.of(JobViews.view("j2", JobState.COMPLETED)), 3));
		given(this.jobs.list(null, 0, 2)).willReturn(
				new JobList(List.of(JobViews.view("j5", JobState.COMPLETED), JobViews.view("j4", JobState.FAILED)), 5));
		given(this.jobs.list(null, 18, 2)).willReturn(new JobList(List.of(), 5));

		this.mvc.perform(get("/api/v1/jobs").param("state", "COMPLETED").param("page", "1").param("size", "2"))
			.andExpect(status().isOk())
			.andExpect(header().string("X-Total-Count", "3"))
			.andExpect(jsonPath("$[*].id", contains("j2")));
		this.mvc.perform(get("/api/v1/jobs").param("page", "0").param("size", "2"))
			.andExpect(header().string("X-Total-Count", "5"))
			.andExpect(jsonPath("$[*].id", contains("j5", "j4")));
		this.mvc.perform(get("/api/v1/jobs").param("page", "9").param("size", "2"))
			.andExpect(status().isOk())
			.andExpect(header().string("X-Total-Count", "5"))
			.andExpect(jsonPath("$").isEmpty());
		this.mvc.perform(get("/api/v1/jobs").param("size", "0")).andExpect(status().isBadRequest());
		this.mvc.perform(get("/api/v1/jobs").param("state", "SLEEPING")).andExpect(status().isBadRequest());
	}

	@Test
	void defaultsGiveEachFamilysLearningRatesAndFormats() throws Exception {
		this.mvc.perform(get("/api/v1/jobs/defaults"))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$.registers").value(16))
			.andExpect(jsonPath("$.families.CLIP_OPENAI.learningRate").value(FamilyProfile.CLIP_OPENAI.learningRate()))
			.andExpect(
					jsonPath("$.families.DINOV2_HUB.endLearningRate").value(FamilyProfile.DINOV2_HUB.endLearningRate()))
			.andExpect(jsonPath("$.families.TIMM.exportFormats", contains("TIMM")));
	}

	@Test
	void defaultsGiveTheDemoTeachersRegisterNeuronSearch() throws Exception {
		// The generic rule on the demo teacher's 6 blocks: top 2 · 6, blocks up to 5 · 6
		// / 12.
		this.mvc.perform(get("/api/v1/jobs/defaults"))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$.registerNeuronSearch.outlierLayer").value(-2))
			.andExpect(jsonPath("$.registerNeuronSearch.normThreshold").isEmpty())
			.andExpect(jsonPath("$.registerNeuronSearch.topNeurons").value(12))
			.andExpect(jsonPath("$.registerNeuronSearch.highestLayer").value(2))
			.andExpect(jsonPath("$.registerNeuronSearch.neuronImages").value(500))
			.andExpect(jsonPath("$.registerNeuronSearch.testTimeRegisterTokens").value(1));
	}

	@Test
	void anExportFormatDownloadsAsOneZipOfItsFiles() throws Exception {
		Path export = Files.createDirectories(this.folder.resolve("export/DINOV2_HF"));
		byte[] weights = new byte[100_000];
		for (int i = 0; i < weights.length; i++) {
			weights[i] = (byte) (i * 31);
		}
		Files.write(export.resolve("model.safetensors"), weights);
		Files.writeString(export.resolve("config.json"), "{\"model_type\": \"dinov2\"}");
		given(this.jobs.exportFolder("j1", CheckpointFormat.DINOV2_HF)).willReturn(export);

		MvcResult started = this.mvc.perform(get("/api/v1/jobs/j1/exports/DINOV2_HF.zip"))
			.andExpect(request().asyncStarted())
			.andReturn();
		byte[] zip = this.mvc.perform(asyncDispatch(started))
			.andExpect(status().isOk())
			.andExpect(content().contentType("application/zip"))
			.andExpect(header().string(HttpHeaders.CONTENT_DISPOSITION, containsString("j1-DINOV2_HF.zip")))
			.andReturn()
			.getResponse()
			.getContentAsByteArray();

		Map<String, byte[]> entries = new LinkedHashMap<>();
		try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
			for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
				entries.put(entry.getName(), in.readAllBytes());
			}
		}
		assertThat(entries).containsOnlyKeys("j1-DINOV2_HF/config.json", "j1-DINOV2_HF/model.safetensors");
		assertThat(entries.get("j1-DINOV2_HF/model.safetensors")).isEqualTo(weights);
		assertThat(new String(entries.get("j1-DINOV2_HF/config.json"))).isEqualTo("{\"model_type\": \"dinov2\"}");
	}

	@Test
	void anArchiveOfAFormatNotExportedOrUnknownIsNotFound() throws Exception {
		given(this.jobs.exportFolder("j1", CheckpointFormat.TIMM))
			.willThrow(new UnknownArtifactException("j1", "export/TIMM"));

		this.mvc.perform(get("/api/v1/jobs/j1/exports/TIMM.zip")).andExpect(status().isNotFound());
		this.mvc.perform(get("/api/v1/jobs/j1/exports/PICKLE.zip")).andExpect(status().isNotFound());
	}

	@Test
	void thePagesOwnUrlsServeThePage() throws Exception {
		this.mvc.perform(get("/jobs/0b5e2c1a-1234-4cde-8f00-123456789abc"))
			.andExpect(status().isOk())
			.andExpect(forwardedUrl("/index.html"));
		this.mvc.perform(get("/jobs")).andExpect(status().isOk()).andExpect(forwardedUrl("/index.html"));
	}

}
