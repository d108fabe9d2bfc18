package ai.phreg.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import jakarta.validation.Validator;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonPointer;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.MethodParameter;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.RequestBodyAdviceAdapter;

/**
 * Checks a JSON body bound to a record field by field before Spring binds it, so that one
 * answer names every bad field rather than the first one Jackson trips over: repeated
 * keys, unknown properties, values the strict mapper will not bind to the component's
 * type (a float for an integer, a number out of range, a string for a number), numbers
 * that are not finite (a literal such as {@code 1e400} overflows to Infinity), and then
 * the single-field constraints of the fields that did bind. A body without such problems
 * goes on unchanged to Spring's binding and validation, which also reports syntax errors
 * with their place. Being driven by the record's components, the check follows the record
 * when its fields change.
 */
@ControllerAdvice
class RecordBodyCheck extends RequestBodyAdviceAdapter {

	private final JsonMapper json;

	private final Validator validator;

	RecordBodyCheck(JsonMapper json, Validator validator) {
		this.json = json;
		this.validator = validator;
	}

	@Override
	public boolean supports(MethodParameter parameter, Type targetType,
			Class<? extends HttpMessageConverter<?>> converterType) {
		return targetType instanceof Class<?> type && type.isRecord()
				&& JacksonJsonHttpMessageConverter.class.isAssignableFrom(converterType);
	}

	@Override
	public HttpInputMessage beforeBodyRead(HttpInputMessage input, MethodParameter parameter, Type targetType,
			Class<? extends HttpMessageConverter<?>> converterType) throws IOException {
		byte[] body = input.getBody().readAllBytes();
		List<FieldProblem> problems = problems((Class<?>) targetType, body);
		if (!problems.isEmpty()) {
			throw new InvalidBodyException(problems);
		}
		return new BufferedBody(input.getHeaders(), body);
	}

	private List<FieldProblem> problems(Class<?> type, byte[] body) {
		// Duplicates are looked for here, where they can be named; the tree keeps the
		// last.
		ObjectReader lenientOnDuplicates = this.json.reader().without(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
		JsonNode tree;
		List<FieldProblem> problems = new ArrayList<>();
		try {
			problems.addAll(duplicates(lenientOnDuplicates, body));
			tree = lenientOnDuplicates.readTree(body);
		}
		catch (JacksonException ex) {
			// A syntax error: Spring's binding reports it with its line and column.
			return List.of();
		}
		if (tree == null || !tree.isObject()) {
			return problems;
		}
		Map<String, RecordComponent> components = Arrays.stream(type.getRecordComponents())
			.collect(Collectors.toMap(RecordComponent::getName, Function.identity()));
		Map<String, Object> bound = new LinkedHashMap<>();
		for (Map.Entry<String, JsonNode> property : tree.properties()) {
			String name = property.getKey();
			RecordComponent component = components.get(name);
			if (component == null) {
				problems.add(new FieldProblem(name, "is not a known property"));
				continue;
			}
			try {
				Object value = this.json.readerFor(this.json.constructType(component.getGenericType()))
					.readValue(property.getValue());
				List<FieldProblem> nonFinite = nonFiniteNumbers(name, value);
				if (nonFinite.isEmpty()) {
					bound.put(name, value);
				}
				problems.addAll(nonFinite);
			}
			catch (JacksonException ex) {
				problems.add(FieldProblem.of(name, ex));
			}
		}
		if (!problems.isEmpty()) {
			// Constraints between fields wait until every field binds: they would judge
			// the missing values.
			bound.forEach((name, value) -> this.validator.validateValue(type, name, value)
				.forEach((violation) -> problems.add(FieldProblem.of(violation))));
		}
		return problems;
	}

	private static List<FieldProblem> duplicates(ObjectReader reader, byte[] body) {
		List<FieldProblem> duplicates = new ArrayList<>();
		Deque<Set<String>> objects = new ArrayDeque<>();
		try (JsonParser parser = reader.createParser(body)) {
			for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
				if (token == JsonToken.START_OBJECT) {
					objects.push(new HashSet<>());
				}
				else if (token == JsonToken.END_OBJECT) {
					objects.pop();
				}
				else if (token == JsonToken.PROPERTY_NAME && !objects.peek().add(parser.currentName())) {
					duplicates.add(new FieldProblem(field(parser.streamReadContext().pathAsPointer()),
							"appears more than once"));
				}
			}
		}
		return duplicates;
	}

	/**
	 * Infinity and NaN, which Jackson reads from an overflowing literal such as
	 * {@code 1e400} or from the strings {@code "Infinity"} and {@code "NaN"}.
	 */
	private static List<FieldProblem> nonFiniteNumbers(String field, Object value) {
		if (value instanceof Double number && !Double.isFinite(number)
				|| value instanceof Float single && !Float.isFinite(single)) {
			return List.of(new FieldProblem(field, "must be a finite number"));
		}
		List<FieldProblem> problems = new ArrayList<>();
		if (value instanceof List<?> list) {
			for (int i = 0; i < list.size(); i++) {
				problems.addAll(nonFiniteNumbers(field + "[" + i + "]", list.get(i)));
			}
		}
		return problems;
	}

	/** A JSON pointer such as {@code /a/2/b} as the field {@code a[2].b}. */
	private static String field(JsonPointer pointer) {
		StringBuilder field = new StringBuilder();
		for (JsonPointer rest = pointer; !rest.matches(); rest = rest.tail()) {
			if (rest.mayMatchElement()) {
				field.append('[').append(rest.getMatchingIndex()).append(']');
			}
			else {
				field.append(field.isEmpty() ? "" : ".").append(rest.getMatchingProperty());
			}
		}
		return field.toString();
	}

	/** The body after the check, for Spring to read again. */
	private record BufferedBody(HttpHeaders headers, byte[] bytes) implements HttpInputMessage {

		@Override
		public HttpHeaders getHeaders() {
			return this.headers;
		}

		@Override
		public InputStream getBody() {
			return new ByteArrayInputStream(this.bytes);
		}

	}

	/** A body with bad fields, each one named. */
	static class InvalidBodyException extends RuntimeException {

		private final List<FieldProblem> problems;

		InvalidBodyException(List<FieldProblem> problems) {
			super(problems.size() + " invalid fields");
			this.problems = List.copyOf(problems);
		}

		List<FieldProblem> problems() {
			return this.problems;
		}

	}

}
