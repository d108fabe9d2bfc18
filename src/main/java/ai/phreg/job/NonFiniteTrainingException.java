package ai.phreg.job;

import ai.phreg.system.UserFacingException;

/** A run whose loss stayed non-finite: it fails, and its student is not published. */
public class NonFiniteTrainingException extends UserFacingException {

	NonFiniteTrainingException(int steps, long lastStep) {
		super("The loss was not finite for " + steps + " steps in a row (up to step " + lastStep
				+ "), so training stopped and no student was published. Lower learningRate, or check the teacher's"
				+ " weights for NaN or infinite values, and submit the job again.");
	}

}
