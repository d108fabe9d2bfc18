package ai.phreg.api;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import org.springdoc.core.customizers.OpenApiCustomizer;

import org.springframework.http.HttpStatus;

/**
 * Completes the generated OpenAPI description with the errors every operation can answer.
 * Errors are RFC 9457 problems ({@code application/problem+json}, schema
 * {@value #PROBLEM}): each operation gets the ones its shape implies (a job id can be
 * unknown, a body can be invalid or too large, a key can be missing), and any error an
 * operation declares itself, such as 409 on stop, gets the problem content, except a
 * download's bodiless 416.
 */
final class ApiDocumentation implements OpenApiCustomizer {

	static final String PROBLEM = "ProblemDetail";

	static final String FIELD_PROBLEM = "FieldProblem";

	// RFC 9110 lets a 416 carry only Content-Range; downloads answer it without a body.
	private static final String RANGE_NOT_SATISFIABLE = Integer
		.toString(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE.value());

	private static final String PROBLEM_JSON = org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE;

	@Override
	public void customise(OpenAPI openApi) {
		numericDefaultsAsNumbers(openApi);
		openApi.getComponents().addSchemas(FIELD_PROBLEM, fieldProblemSchema()).addSchemas(PROBLEM, problemSchema());
		if (openApi.getPaths() == null) {
			return;
		}
		openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
			ApiResponses responses = (operation.getResponses() != null) ? operation.getResponses() : new ApiResponses();
			operation.setResponses(responses);
			impliedErrors(path, method, operation)
				.forEach((status, description) -> responses.computeIfAbsent(Integer.toString(status.value()),
						(code) -> new ApiResponse().description(description)));
			responses.forEach((code, response) -> {
				if (isError(code) && !code.equals(RANGE_NOT_SATISFIABLE)) {
					response.setContent(new Content().addMediaType(PROBLEM_JSON,
							new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
				}
			});
		}));
	}

	/**
	 * swagger-core keeps the annotated default of a floating-point field as text, such as
	 * {@code "0.15"}; clients and forms expect the number.
	 */
	@SuppressWarnings("unchecked")
	private static void numericDefaultsAsNumbers(OpenAPI openApi) {
		for (Schema<?> schema : openApi.getComponents().getSchemas().values()) {
			if (schema.getProperties() == null) {
				continue;
			}
			for (Schema<?> property : schema.getProperties().values()) {
				if (property.getDefault() instanceof String text && isNumber(property)) {
					((Schema<Object>) property).setDefault(new BigDecimal(text));
				}
			}
		}
	}

	private static boolean isNumber(Schema<?> schema) {
		return "number".equals(schema.getType()) || schema.getTypes() != null && schema.getTypes().contains("number");
	}

	/**
	 * The errors an operation can answer because of what it takes. Path and header
	 * parameters imply none: an unknown id is a 404, and operations that check others
	 * declare their errors.
	 */
	private static Map<HttpStatus, String> impliedErrors(String path, PathItem.HttpMethod method, Operation operation) {
		Map<HttpStatus, String> errors = new LinkedHashMap<>();
		boolean validatedInput = operation.getRequestBody() != null || operation.getParameters() != null
				&& operation.getParameters().stream().anyMatch((parameter) -> "query".equals(parameter.getIn()));
		if (validatedInput) {
			errors.put(HttpStatus.BAD_REQUEST, "Invalid request; a body's bad fields are listed in errors");
		}
		if (operation.getSecurity() != null && !operation.getSecurity().isEmpty()) {
			errors.put(HttpStatus.UNAUTHORIZED, "Missing or wrong X-API-Key");
			errors.put(HttpStatus.FORBIDDEN, "The service has no API key configured, so it accepts no changes");
		}
		if (path.contains("{id}")) {
			errors.put(HttpStatus.NOT_FOUND, "No such job");
		}
		if (operation.getRequestBody() != null) {
			errors.put(HttpStatus.CONTENT_TOO_LARGE, "The body is larger than phreg.max-request-body");
			errors.put(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "The body is not JSON");
		}
		errors.put(HttpStatus.INTERNAL_SERVER_ERROR, "The service failed; detail says how");
		return errors;
	}

	private static boolean isError(String code) {
		return code.length() == 3 && (code.charAt(0) == '4' || code.charAt(0) == '5');
	}

	private static Schema<?> fieldProblemSchema() {
		return new ObjectSchema().description("One bad field of a request")
			.addProperty("field",
					new StringSchema().description("The field's name, such as exportFormats[1], " + "or the header's"))
			.addProperty("message", new StringSchema().description("What is wrong with it"))
			.required(List.of("field", "message"));
	}

	private static Schema<?> problemSchema() {
		return new ObjectSchema().description("An RFC 9457 problem")
			.addProperty("type",
					new StringSchema().format("uri")
						.description("The kind of problem: https://phreg.ai/problems/<kind>, "
								+ "or about:blank for one Spring MVC detected (405, 406, 415)"))
			.addProperty("title", new StringSchema().description("The kind of problem in words"))
			.addProperty("status", new IntegerSchema().description("The HTTP status"))
			.addProperty("detail", new StringSchema().description("What went wrong this time"))
			.addProperty("instance", new StringSchema().format("uri").description("The request's path"))
			.addProperty("errors",
					new ArraySchema().items(new Schema<>().$ref("#/components/schemas/" + FIELD_PROBLEM))
						.description("For an invalid request: every bad field, so all can be fixed at once"))
			.addProperty("state", new StringSchema().description("For job-state problems: the job's state"))
			.required(List.of("type", "title", "status"));
	}

}
