package ai.phreg.api;

import java.util.Arrays;
import java.util.List;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

import org.springframework.context.MessageSourceResolvable;
import org.springframework.validation.FieldError;

/**
 * One bad field of a request. Fields are named the way Spring names field errors:
 * {@code a.b[2]}.
 *
 * @param field the field's name, or the header's
 * @param message what is wrong with it
 */
record FieldProblem(String field, String message) {

	static FieldProblem of(FieldError error) {
		return new FieldProblem(error.getField(), message(error));
	}

	static FieldProblem of(ConstraintViolation<?> violation) {
		return new FieldProblem(field(violation.getPropertyPath()), violation.getMessage());
	}

	/**
	 * The problem of a value Jackson could not bind.
	 * @param prefix the field the value belongs to, empty for the whole body
	 * @param ex the failure, whose path is relative to the value
	 */
	static FieldProblem of(String prefix, JacksonException ex) {
		return new FieldProblem(field(prefix, ex.getPath()), describe(ex));
	}

	static String message(MessageSourceResolvable error) {
		return (error.getDefaultMessage() != null) ? error.getDefaultMessage() : "is invalid";
	}

	private static String field(String prefix, List<JacksonException.Reference> path) {
		StringBuilder field = new StringBuilder(prefix);
		for (JacksonException.Reference reference : path) {
			if (reference.getPropertyName() != null) {
				field.append(field.isEmpty() ? "" : ".").append(reference.getPropertyName());
			}
			else if (reference.getIndex() >= 0) {
				field.append('[').append(reference.getIndex()).append(']');
			}
		}
		return field.toString();
	}

	private static String field(Path path) {
		StringBuilder field = new StringBuilder();
		for (Path.Node node : path) {
			// Bean Validation puts a list index on the element's node: list[2].<list
			// element>
			if (node.getIndex() != null) {
				field.append('[').append(node.getIndex()).append(']');
			}
			if (node.getKind() != ElementKind.CONTAINER_ELEMENT && node.getName() != null) {
				field.append(field.isEmpty() ? "" : ".").append(node.getName());
			}
		}
		return field.toString();
	}

	private static String describe(JacksonException ex) {
		if (ex instanceof UnrecognizedPropertyException) {
			return "is not a known property";
		}
		if (ex instanceof InputCoercionException coercion && coercion.getTargetType() != null) {
			return "is out of range for " + kind(coercion.getTargetType());
		}
		if (ex instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
			return "must be " + kind(mismatch.getTargetType());
		}
		return "has a value of the wrong kind";
	}

	private static String kind(Class<?> type) {
		if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
			return "an integer";
		}
		if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
			return "a number";
		}
		if (Iterable.class.isAssignableFrom(type) || type.isArray()) {
			return "an array";
		}
		if (type == String.class) {
			return "a string";
		}
		if (type == Boolean.class || type == boolean.class) {
			return "true or false";
		}
		if (type.isEnum()) {
			return "one of " + String.join(", ", enumNames(type));
		}
		return "a " + type.getSimpleName();
	}

	private static List<String> enumNames(Class<?> type) {
		return Arrays.stream(type.getEnumConstants()).map(String::valueOf).toList();
	}

}
