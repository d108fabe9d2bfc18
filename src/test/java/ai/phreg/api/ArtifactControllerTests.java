package ai.phreg.api;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import ai.phreg.job.ArtifactView;
import ai.phreg.job.JobService;
import ai.phreg.job.UnknownJobException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import static org.hamcrest.Matchers.startsWith;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.mockito.Mockito.never;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

@ApiSliceTest
class ArtifactControllerTests {

	private static final String MODEL = "export/DINOV2_HF/model.safetensors";

	private static final String URL = "/api/v1/jobs/j1/artifacts/" + MODEL;

	@Autowired
	private MockMvc mvc;

	@MockitoBean
	private JobService jobs;

	@TempDir
	private Path folder;

	private final byte[] bytes = new byte[100];

	private String sha256;

	@BeforeEach
	void jobHasFiles() throws Exception {
		for (int i = 0; i < this.bytes.length; i++) {
			this.bytes[i] = (byte) (i * 7);
		}
		byte[] digest = MessageDigest.getInstance("SHA-256").digest(this.bytes);
		this.sha256 = HexFormat.of().formatHex(digest);
		for (String name : List.of(MODEL, "evaluation/summary.json", "evaluation/norms.png")) {
			Path file = this.folder.resolve(name);
			Files.createDirectories(file.getParent());
			Files.write(file, this.bytes);
			given(this.jobs.artifact("j1", name)).willReturn(file);
		}
		given(this.jobs.artifacts("j1")).willReturn(List.of(new ArtifactView(MODEL, 100, this.sha256),
				new ArtifactView("evaluation/summary.json", 100, this.sha256),
				new ArtifactView("evaluation/norms.png", 100, this.sha256)));
	}

	@Test
	void listGivesSizesDigestsAndDownloadUrls() throws Exception {
		this.mvc.perform(get("/api/v1/jobs/j1/artifacts"))
			.andExpect(status().isOk())
			.andExpect(jsonPath("$[0].name").value(MODEL))
			.andExpect(jsonPath("$[0].size").value(100))
			.andExpect(jsonPath("$[0].sha256").value(this.sha256))
			.andExpect(jsonPath("$[0].url").value(URL));
	}

	@Test
	void listOfAnUnknownJobIsNotFound() throws Exception {
		given(this.jobs.artifacts("nope")).willThrow(new UnknownJobException("nope"));

		this.mvc.perform(get("/api/v1/jobs/nope/artifacts"))
			.andExpect(status().isNotFound())
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/unknown-job"));
	}

	@Test
	void downloadStreamsTheWholeFileWithItsDigests() throws Exception {
		byte[] digest = HexFormat.of().parseHex(this.sha256);

		this.mvc.perform(get(URL))
			.andExpect(status().isOk())
			.andExpect(content().bytes(this.bytes))
			.andExpect(content().contentType(MediaType.APPLICATION_OCTET_STREAM))
			.andExpect(header().longValue(HttpHeaders.CONTENT_LENGTH, 100))
			.andExpect(header().string(HttpHeaders.ACCEPT_RANGES, "bytes"))
			.andExpect(header().string(HttpHeaders.ETAG, "\"sha256:" + this.sha256 + "\""))
			.andExpect(header().string("Repr-Digest", "sha-256=:" + Base64.getEncoder().encodeToString(digest) + ":"))
			.andExpect(header().string(HttpHeaders.CONTENT_DISPOSITION,
					startsWith("attachment; filename=\"model.safetensors\"")));
	}

	@Test
	void aRangeGivesExactlyThoseBytes() throws Exception {
		this.mvc.perform(get(URL).header(HttpHeaders.RANGE, "bytes=0-9"))
			.andExpect(status().isPartialContent())
			.andExpect(header().string(HttpHeaders.CONTENT_RANGE, "bytes 0-9/100"))
			.andExpect(header().longValue(HttpHeaders.CONTENT_LENGTH, 10))
			.andExpect(content().bytes(Arrays.copyOf(this.bytes, 10)));
	}

	@Test
	void aRangeBeyondTheFileIsNotSatisfiable() throws Exception {
		this.mvc.perform(get(URL).header(HttpHeaders.RANGE, "bytes=100-199"))
			.andExpect(status().isRequestedRangeNotSatisfiable())
			.andExpect(header().string(HttpHeaders.CONTENT_RANGE, "bytes */100"))
			.andExpect(content().bytes(new byte[0]));
	}

	@ParameterizedTest
	@ValueSource(strings = { "bytes=200-", "bytes=-0", "bytes=5-2", "bytes=x-y" })
	void anyUnsatisfiableRangeGetsNoBody(String range) throws Exception {
		this.mvc.perform(get(URL).header(HttpHeaders.RANGE, range))
			.andExpect(status().isRequestedRangeNotSatisfiable())
			.andExpect(header().string(HttpHeaders.CONTENT_RANGE, "bytes */100"))
			.andExpect(content().bytes(new byte[0]));
	}

	@Test
	void aKnownETagIsNotModified() throws Exception {
		this.mvc.perform(get(URL).header(HttpHeaders.IF_NONE_MATCH, "\"sha256:" + this.sha256 + "\""))
			.andExpect(status().isNotModified());
	}

	@ParameterizedTest
	@CsvSource({ "evaluation/summary.json, application/json", "evaluation/norms.png, image/png" })
	void contentTypeFollowsTheExtension(String name, String type) throws Exception {
		this.mvc.perform(get("/api/v1/jobs/j1/artifacts/" + name))
			.andExpect(status().isOk())
			.andExpect(content().contentType(type));
	}

	@Test
	void anUnlistedArtifactIsNotFound() throws Exception {
		this.mvc.perform(get("/api/v1/jobs/j1/artifacts/export/missing.bin"))
			.andExpect(status().isNotFound())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/unknown-artifact"));

		then(this.jobs).should(never()).artifact(any(), any());
	}

	@ParameterizedTest
	@ValueSource(strings = { "../x", "%2e%2e/x", "%2E%2E/%2E%2E/etc/passwd", "..%2Fx", "export%2F..%2F..%2Fx",
			"%2Fetc%2Fpasswd", "/etc/passwd", "..%5Cx", "export%5Cmodel.bin", "model%00.bin", "export//model.bin",
			"./model.bin", "" })
	void namesThatCouldLeaveTheJobFolderAreRefused(String name) throws Exception {
		this.mvc.perform(get(URI.create("/api/v1/jobs/j1/artifacts/" + name)))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://phreg.ai/problems/invalid-artifact-name"));

		then(this.jobs).shouldHaveNoInteractions();
	}

}
