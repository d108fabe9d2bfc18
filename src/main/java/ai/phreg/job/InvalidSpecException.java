package ai.phreg.job;

import java.util.Map;

/** A job request that cannot run, with one message per bad field. */
public class InvalidSpecException extends RuntimeException {

	private final Map<String, String> fieldErrors;

	public InvalidSpecException(Map<String, String> fieldErrors) {
		super("Invalid job spec: " + fieldErrors);
		this.fieldErrors = Map.copyOf(fieldErrors);
	}

	public Map<String, String> fieldErrors() {
		return this.fieldErrors;
	}

}
