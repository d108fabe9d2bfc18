package ai.phreg.api;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import ai.phreg.api.ArtifactController.InvalidArtifactNameException;
import ai.phreg.api.RecordBodyCheck.InvalidBodyException;
import ai.phreg.api.RequestBodyLimitFilter.BodyTooLargeException;
import ai.phreg.job.InvalidSpecException;
import ai.phreg.job.JobStateException;
import ai.phreg.job.UnknownArtifactException;
import ai.phreg.job.UnknownJobException;
import ai.phreg.system.FailureMessages;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.method.ParameterErrors;
import org.springframework.validation.method.ParameterValidationResult;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.util.DisconnectedClientHelper;

/**
 * Turns every failure into an RFC 9457 problem. A 400 about a request body names each bad
 * field in an {@code errors} property, {@code [{"field": …, "message": …}]}, so a client
 * can fix them all at once; fields of nested values are named like
 * {@code exportFormats[1]}.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

	@ExceptionHandler
	ProblemDetail unknownJob(UnknownJobException ex) {
		return Problem.UNKNOWN_JOB.detail(ex.getMessage());
	}

	@ExceptionHandler
	ProblemDetail unknownArtifact(UnknownArtifactException ex) {
		return Problem.UNKNOWN_ARTIFACT.detail(ex.getMessage());
	}

	@ExceptionHandler
	ProblemDetail invalidArtifactName(InvalidArtifactNameException ex) {
		return Problem.INVALID_ARTIFACT_NAME.detail(ex.getMessage());
	}

	@ExceptionHandler
	ProblemDetail jobState(JobStateException ex) {
		ProblemDetail problem = Problem.JOB_STATE.detail(ex.getMessage());
		problem.setProperty("state", ex.state());
		return problem;
	}

	@ExceptionHandler
	ProblemDetail invalidSpec(InvalidSpecException ex) {
		return invalidSpec(ex.fieldErrors().entrySet().stream().map((e) -> new FieldProblem(e.getKey(), e.getValue())));
	}

	@ExceptionHandler
	ProblemDetail invalidBody(InvalidBodyException ex) {
		return invalidSpec(ex.problems().stream());
	}

	@ExceptionHandler
	ProblemDetail bodyTooLarge(BodyTooLargeException ex) {
		return RequestBodyLimitFilter.tooLarge(ex.limit());
	}

	@ExceptionHandler
	ProblemDetail unexpected(Exception ex) throws Exception {
		if (DisconnectedClientHelper.isClientDisconnectedException(ex)) {
			// Nobody is left to read a problem, and an aborted download is no error.
			throw ex;
		}
		return Problem.INTERNAL.detail(FailureMessages.describe(ex));
	}

	@Override
	protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		ProblemDetail problem = invalidSpec(ex.getBindingResult().getFieldErrors().stream().map(FieldProblem::of));
		return handleExceptionInternal(ex, problem, headers, status, request);
	}

	// Raised instead of the above when a handler has constraints on plain parameters (the
	// Idempotency-Key header); the body's errors then arrive as ParameterErrors.
	@Override
	protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		ProblemDetail problem = invalidSpec(
				ex.getParameterValidationResults().stream().flatMap(ApiExceptionHandler::fieldProblems));
		return handleExceptionInternal(ex, problem, headers, status, request);
	}

	@Override
	protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		Throwable cause = ex.getMostSpecificCause();
		ProblemDetail problem;
		if (cause instanceof BodyTooLargeException tooLarge) {
			problem = RequestBodyLimitFilter.tooLarge(tooLarge.limit());
		}
		else if (cause instanceof DatabindException bad && !bad.getPath().isEmpty()) {
			problem = invalidSpec(Stream.of(FieldProblem.of("", bad)));
		}
		else {
			problem = Problem.MALFORMED_JSON.detail(describeSyntax(ex));
		}
		return handleExceptionInternal(ex, problem, headers, HttpStatusCode.valueOf(problem.getStatus()), request);
	}

	private static ProblemDetail invalidSpec(Stream<FieldProblem> errors) {
		List<FieldProblem> sorted = errors
			.sorted(Comparator.comparing(FieldProblem::field).thenComparing(FieldProblem::message))
			.toList();
		ProblemDetail problem = Problem.INVALID_SPEC.detail((sorted.size() == 1) ? "1 field is invalid: see errors"
				: sorted.size() + " fields are invalid: see errors");
		problem.setProperty("errors", sorted);
		return problem;
	}

	private static Stream<FieldProblem> fieldProblems(ParameterValidationResult result) {
		if (result instanceof ParameterErrors errors) {
			return errors.getFieldErrors().stream().map(FieldProblem::of);
		}
		RequestHeader header = result.getMethodParameter().getParameterAnnotation(RequestHeader.class);
		String name = (header != null) ? header.name() : result.getMethodParameter().getParameterName();
		return result.getResolvableErrors()
			.stream()
			.map((error) -> new FieldProblem(name, FieldProblem.message(error)));
	}

	private static String describeSyntax(HttpMessageNotReadableException ex) {
		if (ex.getMostSpecificCause() instanceof JacksonException json && json.getLocation() != null) {
			return "Cannot read the body as a JSON object (line " + json.getLocation().getLineNr() + ", column "
					+ json.getLocation().getColumnNr() + "): " + json.getOriginalMessage();
		}
		return "A JSON body is required";
	}

}
