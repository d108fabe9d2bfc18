package ai.phreg.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import ai.phreg.job.Unlock;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

/**
 * The rules of a {@link JobRequest} that involve more than one field. Each broken rule is
 * reported against the field a user most likely has to change, so that it shows in the
 * {@code errors} of the response next to the single-field ones.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = ConsistentJobRequest.Validator.class)
@interface ConsistentJobRequest {

	String message() default "inconsistent job request";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

	class Validator implements ConstraintValidator<ConsistentJobRequest, JobRequest> {

		@Override
		public boolean isValid(JobRequest request, ConstraintValidatorContext context) {
			context.disableDefaultConstraintViolation();
			boolean valid = true;
			if (request.epochs() == null && request.steps() == null) {
				valid = violation(context, "epochs", "give exactly one of epochs or steps");
			}
			if (request.epochs() != null && request.steps() != null) {
				valid = violation(context, "steps", "give exactly one of epochs or steps, not both");
			}
			if (request.learningRate() != null && request.endLearningRate() != null
					&& request.endLearningRate() > request.learningRate()) {
				valid = violation(context, "endLearningRate", "must not exceed learningRate");
			}
			boolean custom = Unlock.CUSTOM.spelling().equals(request.unlock())
					|| Unlock.CUSTOM.name().equals(request.unlock());
			boolean patterns = request.unlockPatterns() != null && !request.unlockPatterns().isEmpty();
			if (custom && !patterns) {
				valid = violation(context, "unlockPatterns", "must not be empty when unlock is custom");
			}
			if (!custom && patterns) {
				valid = violation(context, "unlockPatterns", "only allowed when unlock is custom");
			}
			return valid;
		}

		private static boolean violation(ConstraintValidatorContext context, String field, String message) {
			context.buildConstraintViolationWithTemplate(message).addPropertyNode(field).addConstraintViolation();
			return false;
		}

	}

}
