package ai.phreg.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Arrays;
import java.util.List;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

/**
 * A string that names a constant of an enum, by its name or its {@code toString()}
 * spelling (such as {@code registers-only}). Checked as a constraint rather than while
 * reading JSON, so that one response names every bad field; the message lists the
 * spellings from the enum itself.
 */
@Documented
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.TYPE_USE })
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = EnumSpelling.Validator.class)
@interface EnumSpelling {

	Class<? extends Enum<?>> value();

	String message() default "must name a known value";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

	class Validator implements ConstraintValidator<EnumSpelling, String> {

		private List<String> spellings;

		private List<String> names;

		@Override
		public void initialize(EnumSpelling annotation) {
			Enum<?>[] constants = annotation.value().getEnumConstants();
			this.spellings = Arrays.stream(constants).map(Object::toString).toList();
			this.names = Arrays.stream(constants).map(Enum::name).toList();
		}

		@Override
		public boolean isValid(String value, ConstraintValidatorContext context) {
			if (value == null || this.spellings.contains(value) || this.names.contains(value)) {
				return true;
			}
			context.disableDefaultConstraintViolation();
			context
				.buildConstraintViolationWithTemplate(
						"must be " + String.join(", ", this.spellings.subList(0, this.spellings.size() - 1)) + " or "
								+ this.spellings.get(this.spellings.size() - 1))
				.addConstraintViolation();
			return false;
		}

	}

}
