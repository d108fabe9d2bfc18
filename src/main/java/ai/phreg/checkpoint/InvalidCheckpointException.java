package ai.phreg.checkpoint;

import java.io.IOException;

/**
 * A checkpoint that cannot become a model: unknown family, missing or unused keys, wrong
 * shapes.
 */
public class InvalidCheckpointException extends IOException {

	public InvalidCheckpointException(String message) {
		super(message);
	}

}
