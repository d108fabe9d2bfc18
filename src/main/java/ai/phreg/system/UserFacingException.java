package ai.phreg.system;

/**
 * A failure whose message is written for the user: what went wrong in their terms and
 * what they can do about it. {@link FailureMessages} shows such a message as it is, where
 * any other runtime exception becomes an internal error.
 */
public class UserFacingException extends RuntimeException {

	public UserFacingException(String message) {
		super(message);
	}

}
