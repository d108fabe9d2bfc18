package ai.phreg.api;

import java.net.URI;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * The kinds of RFC 9457 problem this API reports itself; each has a stable type URI
 * clients can switch on. Problems Spring MVC detects (405, 406, 415, unknown paths) keep
 * Spring's {@code about:blank} type.
 */
enum Problem {

	INVALID_SPEC(HttpStatus.BAD_REQUEST, "invalid-spec", "Invalid job spec"),

	MALFORMED_JSON(HttpStatus.BAD_REQUEST, "malformed-json", "Malformed JSON"),

	INVALID_ARTIFACT_NAME(HttpStatus.BAD_REQUEST, "invalid-artifact-name", "Invalid artifact name"),

	BODY_TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "body-too-large", "Request body too large"),

	UNKNOWN_JOB(HttpStatus.NOT_FOUND, "unknown-job", "Unknown job"),

	UNKNOWN_ARTIFACT(HttpStatus.NOT_FOUND, "unknown-artifact", "Unknown artifact"),

	JOB_STATE(HttpStatus.CONFLICT, "job-state", "Not possible in the job's state"),

	API_KEY(HttpStatus.UNAUTHORIZED, "api-key", "Missing or wrong API key"),

	API_KEY_NOT_CONFIGURED(HttpStatus.FORBIDDEN, "api-key-not-configured", "Changes need an API key"),

	INTERNAL(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Internal error");

	private static final String TYPE_BASE = "https://phreg.ai/problems/";

	private final HttpStatus status;

	private final URI type;

	private final String title;

	Problem(HttpStatus status, String slug, String title) {
		this.status = status;
		this.type = URI.create(TYPE_BASE + slug);
		this.title = title;
	}

	HttpStatus status() {
		return this.status;
	}

	ProblemDetail detail(String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(this.status, detail);
		problem.setType(this.type);
		problem.setTitle(this.title);
		return problem;
	}

}
