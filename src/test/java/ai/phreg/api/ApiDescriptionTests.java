package ai.phreg.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import ai.phreg.TemporaryStorage;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.job.Unlock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI description the running service serves: every error of every operation is a
 * problem with its schema, the non-JSON content types are the real ones, and the job
 * request explains each of its fields. Same configuration as {@link HttpEdgeTests}, so
 * the two share one application context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "phreg.api-key=" + HttpEdgeTests.KEY, "phreg.max-request-body=64KB" })
class ApiDescriptionTests extends TemporaryStorage {

	private static final String PROBLEM_REF = "#/components/schemas/ProblemDetail";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@LocalServerPort
	int port;

	private JsonNode api;

	@BeforeEach
	void fetchTheDescription() throws Exception {
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/v3/api-docs")).GET().build(),
					HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		this.api = JSON.readTree(response.body());
	}

	@Test
	void everyErrorOfEveryOperationIsAProblem() {
		List<String> operations = new ArrayList<>();
		for (Map.Entry<String, JsonNode> path : this.api.path("paths").properties()) {
			for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
				String name = operation.getKey() + " " + path.getKey();
				operations.add(name);
				JsonNode responses = operation.getValue().path("responses");
				assertThat(responses.has("500")).as("%s documents 500", name).isTrue();
				for (Map.Entry<String, JsonNode> response : responses.properties()) {
					String code = response.getKey();
					if (!code.startsWith("4") && !code.startsWith("5") || code.equals("416")) {
						continue;
					}
					JsonNode content = response.getValue().path("content");
					assertThat(content.propertyNames()).as("%s %s", name, code)
						.containsExactly("application/problem+json");
					assertThat(content.at("/application~1problem+json/schema/$ref").asString()).as("%s %s", name, code)
						.isEqualTo(PROBLEM_REF);
				}
			}
		}
		assertThat(operations).contains("post /api/v1/jobs", "get /api/v1/jobs/{id}/artifacts/{name}",
				"get /api/v1/jobs/{id}/exports/{format}.zip");
	}

	@Test
	void operationsDocumentTheErrorsTheirShapeImplies() {
		JsonNode jobs = this.api.path("paths");
		assertThat(jobs.at("/~1api~1v1~1jobs/post/responses").propertyNames()).contains("202", "400", "401", "403",
				"413", "415", "500");
		assertThat(jobs.at("/~1api~1v1~1jobs~1{id}~1stop/post/responses").propertyNames()).contains("202", "401", "403",
				"404", "409");
		assertThat(jobs.at("/~1api~1v1~1jobs~1{id}~1restart/post/responses").propertyNames()).contains("409");
		assertThat(jobs.at("/~1api~1v1~1jobs~1{id}/get/responses").propertyNames()).contains("200", "404")
			.doesNotContain("400", "401", "409");
		assertThat(jobs.at("/~1api~1v1~1jobs~1{id}/get/responses/200/content").propertyNames())
			.containsExactly("application/json");
		assertThat(jobs.at("/~1api~1v1~1jobs/get/responses/200/headers").has(JobController.TOTAL_COUNT)).isTrue();
	}

	@Test
	void theProblemSchemaListsTheBadFields() {
		JsonNode schemas = this.api.path("components").path("schemas");
		JsonNode problem = schemas.path("ProblemDetail").path("properties");
		assertThat(problem.propertyNames()).contains("type", "title", "status", "detail", "instance", "errors",
				"state");
		assertThat(problem.at("/errors/type").asString()).isEqualTo("array");
		String item = problem.at("/errors/items/$ref").asString();
		assertThat(item).startsWith("#/components/schemas/");
		assertThat(schemas.path(item.substring(item.lastIndexOf('/') + 1)).path("properties").propertyNames())
			.containsExactlyInAnyOrder("field", "message");
	}

	@Test
	void streamsCsvAndArchivesHaveTheirRealContentTypes() {
		JsonNode paths = this.api.path("paths");
		JsonNode events = paths.at("/~1api~1v1~1jobs~1{id}~1events/get/responses/200/content");
		assertThat(events.propertyNames()).containsExactly("text/event-stream");
		assertThat(events.at("/text~1event-stream/schema/$ref").asString()).endsWith("/JobView");
		assertThat(paths.at("/~1api~1v1~1jobs~1{id}~1history/get/responses/200/content").propertyNames())
			.contains("application/json", "text/csv");
		JsonNode zip = paths.at("/~1api~1v1~1jobs~1{id}~1exports~1{format}.zip/get/responses/200/content");
		assertThat(zip.propertyNames()).containsExactly("application/zip");
		assertThat(zip.at("/application~1zip/schema/format").asString()).isEqualTo("binary");
	}

	@Test
	void downloadsDocumentRangesAndETags() {
		JsonNode download = this.api.at("/paths/~1api~1v1~1jobs~1{id}~1artifacts~1{name}/get");
		List<String> headers = new ArrayList<>();
		download.path("parameters")
			.forEach((parameter) -> headers
				.add(parameter.path("in").asString() + " " + parameter.path("name").asString()));
		assertThat(headers).contains("path id", "path name", "header Range", "header If-None-Match", "header If-Range");
		assertThat(download.path("responses").propertyNames()).contains("200", "206", "304", "400", "404", "416");
		assertThat(download.at("/responses/200/headers").propertyNames()).contains("ETag", "Repr-Digest",
				"Accept-Ranges");
		assertThat(download.at("/responses/206/headers").propertyNames()).contains("Content-Range");
		for (String bodiless : List.of("304", "416")) {
			assertThat(download.at("/responses/" + bodiless + "/content").isEmpty()).as("a %s has no body", bodiless)
				.isTrue();
		}
	}

	@Test
	void everyJobRequestFieldIsDescribed() {
		JsonNode request = this.api.at("/components/schemas/JobRequest");
		JsonNode properties = request.path("properties");
		List<String> fields = Arrays.stream(JobRequest.class.getRecordComponents()).map((c) -> c.getName()).toList();
		assertThat(properties.propertyNames()).containsExactlyInAnyOrderElementsOf(fields);
		for (String field : fields) {
			assertThat(properties.path(field).path("description").asString()).as(field).isNotBlank();
		}
		assertThat(request.path("required").valueStream().map(JsonNode::asString)).containsExactlyInAnyOrder("teacher",
				"images");
		assertThat(properties.at("/registers/default").asInt()).isEqualTo(PaperDefaults.REGISTERS);
		assertThat(properties.at("/views/default").asInt()).isEqualTo(PaperDefaults.VIEWS);
		assertThat(properties.at("/shiftFraction/default").isNumber()).isTrue();
		assertThat(properties.at("/shiftFraction/default").asDouble()).isEqualTo(PaperDefaults.SHIFT_FRACTION);
		assertThat(properties.at("/exportFormats/items/enum").valueStream().map(JsonNode::asString))
			.containsExactlyInAnyOrderElementsOf(Arrays.stream(CheckpointFormat.values()).map(Enum::name).toList());
		assertThat(properties.at("/unlock/enum").valueStream().map(JsonNode::asString))
			.containsExactlyInAnyOrderElementsOf(Arrays.stream(Unlock.values()).map(Unlock::spelling).toList());
	}

}
