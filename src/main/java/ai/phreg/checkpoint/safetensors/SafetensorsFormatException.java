package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a well-formed safetensors checkpoint. Thrown instead of whatever a
 * lying header would otherwise provoke (huge allocations, buffer underflows, raw JSON
 * errors) so callers can handle a bad file like any other I/O failure. The message always
 * starts with the file so it stays useful when logged far from where it was thrown.
 */
public class SafetensorsFormatException extends IOException {

	private static final long serialVersionUID = 1L;

	private final transient Path file;

	public SafetensorsFormatException(Path file, String problem) {
		super(file + ": " + problem);
		this.file = file;
	}

	public SafetensorsFormatException(Path file, String problem, Throwable cause) {
		super(file + ": " + problem, cause);
		this.file = file;
	}

	/** The offending file. */
	public Path file() {
		return this.file;
	}

}
