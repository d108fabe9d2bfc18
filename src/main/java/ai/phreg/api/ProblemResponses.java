package ai.phreg.api;

import java.io.IOException;
import java.net.URI;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

/** Writes a problem from a servlet filter, which answers before Spring MVC could. */
final class ProblemResponses {

	private ProblemResponses() {
	}

	static void write(HttpServletRequest request, HttpServletResponse response, ProblemDetail problem, JsonMapper json)
			throws IOException {
		problem.setInstance(URI.create(request.getRequestURI()));
		response.setStatus(problem.getStatus());
		response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		json.writeValue(response.getOutputStream(), problem);
	}

}
