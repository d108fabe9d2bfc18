package ai.phreg.api;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import ai.phreg.TemporaryStorage;
import ai.phreg.system.NativeHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What only a real Tomcat shows: bodies over the limit, with and without a declared
 * length, get 413 problems; encoded slashes in a path reach the API and get problems
 * rather than Tomcat's HTML page; health details are for API key holders.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "phreg.api-key=" + HttpEdgeTests.KEY, "phreg.max-request-body=64KB" })
class HttpEdgeTests extends TemporaryStorage {

	static final String KEY = "http-edge-tests-key";

	private static final int LIMIT = 64 * 1024;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@LocalServerPort
	int port;

	private final HttpClient http = HttpClient.newHttpClient();

	@Test
	void aBodyDeclaredOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
		HttpResponse<String> response = send(submit(HttpRequest.BodyPublishers.ofByteArray(paddedSpec(LIMIT + 1))));

		assertTooLarge(response);
	}

	@Test
	void aChunkedBodyIsRefusedOnceItPassesTheLimit() throws Exception {
		byte[] body = paddedSpec(4 * LIMIT);
		// A publisher of unknown length: the client sends the body in chunks.
		HttpResponse<String> response = send(
				submit(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));

		assertTooLarge(response);
	}

	@Test
	void aChunkedBodyUnderTheLimitIsRead() throws Exception {
		byte[] body = "{\"teacher\": \"demo\", \"images\": \"demo\", \"epochs\": 1, \"registers\": 0}".getBytes();
		HttpResponse<String> response = send(
				submit(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));

		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(JSON.readTree(response.body()).at("/errors/0/field").asString()).isEqualTo("registers");
	}

	@ParameterizedTest
	@ValueSource(strings = { "..%2F..%2Fetc%2Fpasswd", "export%2F..%2F..%2Fx", "%2Fetc%2Fpasswd", "..%5Cx",
			"export%2Fmodel.safetensors" })
	void encodedSlashesInAnArtifactNameGetAProblem(String name) throws Exception {
		HttpResponse<String> response = send(
				HttpRequest.newBuilder(URI.create(url("/api/v1/jobs/no-such-job/artifacts/" + name))).GET());

		assertThat(response.statusCode()).isBetween(400, 404);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(JSON.readTree(response.body()).path("type").asString()).startsWith("https://phreg.ai/problems/")
			.isIn("https://phreg.ai/problems/invalid-artifact-name", "https://phreg.ai/problems/unknown-job");
	}

	@Test
	void anonymousCallersSeeOnlyTheHealthStatus() throws Exception {
		JsonNode health = JSON.readTree(send(HttpRequest.newBuilder(URI.create(url("/actuator/health"))).GET()).body());

		assertThat(health.path("status").asString()).isEqualTo("UP");
		assertThat(health.has("components")).isFalse();
		assertThat(health.has("details")).isFalse();
	}

	@Test
	void theInfoEndpointSaysHowTheNativeHeapIsSet() throws Exception {
		JsonNode info = JSON.readTree(send(HttpRequest.newBuilder(URI.create(url("/actuator/info"))).GET()).body());

		assertThat(info.path("engine").path("nativeHeap").asString()).isEqualTo(NativeHeap.setting())
			.startsWith("freed memory retained");
	}

	@Test
	void apiKeyHoldersSeeTheHealthDetails() throws Exception {
		JsonNode health = JSON.readTree(
				send(HttpRequest.newBuilder(URI.create(url("/actuator/health"))).header(ApiKeyFilter.HEADER, KEY).GET())
					.body());

		assertThat(health.path("components").path("engine").path("details").path("engine").asString())
			.startsWith("PyTorch");
	}

	@Test
	void aWrongKeyGetsNoHealthDetails() throws Exception {
		JsonNode health = JSON.readTree(send(HttpRequest.newBuilder(URI.create(url("/actuator/health")))
			.header(ApiKeyFilter.HEADER, KEY + "x")
			.GET()).body());

		assertThat(health.has("components")).isFalse();
	}

	private static void assertTooLarge(HttpResponse<String> response) {
		assertThat(response.statusCode()).isEqualTo(413);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		JsonNode problem = JSON.readTree(response.body());
		assertThat(problem.path("type").asString()).isEqualTo("https://phreg.ai/problems/body-too-large");
		assertThat(problem.path("detail").asString()).contains("64 KB").contains("phreg.max-request-body");
	}

	/** A valid job spec padded with whitespace to {@code size} bytes. */
	private static byte[] paddedSpec(int size) {
		String spec = "{\"teacher\": \"demo\", \"images\": \"demo\", \"epochs\": 1}";
		return (spec + " ".repeat(size - spec.length())).getBytes();
	}

	private HttpRequest.Builder submit(HttpRequest.BodyPublisher body) {
		return HttpRequest.newBuilder(URI.create(url("/api/v1/jobs")))
			.header("Content-Type", "application/json")
			.header(ApiKeyFilter.HEADER, KEY)
			.POST(body);
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
		return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private String url(String path) {
		return "http://127.0.0.1:" + this.port + path;
	}

}
