package ai.phreg.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.LinkedHashMap;
import java.util.Map;

import ai.phreg.job.JobKind;
import ai.phreg.job.Unlock;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

/**
 * The rules of a {@link JobRequest} that involve more than one field: which fields a
 * job's {@code kind} takes, and how the training fields go together. Each broken rule is
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
			boolean analysis = JobKind.ANALYZE.spelling().equals(request.kind())
					|| JobKind.ANALYZE.name().equals(request.kind());
			return analysis ? isValidAnalysis(request, context) : isValidDistillation(request, context);
		}

		/**
		 * An analysis trains nothing: every field that only says how to train is refused,
		 * so that no one believes it had an effect.
		 */
		private static boolean isValidAnalysis(JobRequest request, ConstraintValidatorContext context) {
			Map<String, Object> trainingOnly = new LinkedHashMap<>();
			trainingOnly.put("registers", request.registers());
			trainingOnly.put("unlock", request.unlock());
			trainingOnly.put("unlockPatterns", request.unlockPatterns());
			trainingOnly.put("batchSize", request.batchSize());
			trainingOnly.put("epochs", request.epochs());
			trainingOnly.put("steps", request.steps());
			trainingOnly.put("learningRate", request.learningRate());
			trainingOnly.put("endLearningRate", request.endLearningRate());
			trainingOnly.put("weightDecay", request.weightDecay());
			trainingOnly.put("checkpointEvery", request.checkpointEvery());
			trainingOnly.put("exportFormats", request.exportFormats());
			trainingOnly.put("deterministic", request.deterministic());
			trainingOnly.put("targetCache", request.targetCache());
			trainingOnly.put("viewSets", request.viewSets());
			trainingOnly.put("teacherPrecision", request.teacherPrecision());
			trainingOnly.put("targets", request.targets());
			boolean valid = true;
			for (Map.Entry<String, Object> field : trainingOnly.entrySet()) {
				if (field.getValue() != null) {
					valid = violation(context, field.getKey(),
							"only distill jobs take it: an analyze job trains nothing (compares every target source "
									+ "in fp32)");
				}
			}
			if (request.evaluationImages() != null && request.evaluationImages() < 1) {
				valid = violation(context, "evaluationImages", "must be at least 1: an analyze job measures them");
			}
			return valid;
		}

		private static boolean isValidDistillation(JobRequest request, ConstraintValidatorContext context) {
			boolean valid = true;
			Map<String, Object> search = new LinkedHashMap<>();
			search.put("outlierLayer", request.outlierLayer());
			search.put("normThreshold", request.normThreshold());
			search.put("topNeurons", request.topNeurons());
			search.put("highestLayer", request.highestLayer());
			search.put("neuronImages", request.neuronImages());
			search.put("testTimeRegisterTokens", request.testTimeRegisterTokens());
			for (Map.Entry<String, Object> field : search.entrySet()) {
				if (field.getValue() != null) {
					valid = violation(context, field.getKey(), "only analyze jobs take it: distill jobs with "
							+ "test-time registers search register neurons with the teacher family's defaults");
				}
			}
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
