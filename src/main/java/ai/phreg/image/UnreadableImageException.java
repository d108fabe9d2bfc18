package ai.phreg.image;

import java.io.IOException;

/**
 * Signals that a file or stream does not hold a decodable JPEG or PNG image. It is an
 * {@link IOException} so callers handle it with other input failures, and a separate type
 * so a dataset loader can skip or report one bad file without hiding real I/O trouble.
 * The message always names the source, because a reason without the file is useless in a
 * run over thousands of images.
 */
public class UnreadableImageException extends IOException {

	private final String source;

	private final String reason;

	public UnreadableImageException(String source, String reason) {
		this(source, reason, null);
	}

	public UnreadableImageException(String source, String reason, Throwable cause) {
		super("Cannot read image " + source + ": " + reason, cause);
		this.source = source;
		this.reason = reason;
	}

	/**
	 * Returns what is wrong with the image and what to do, without its name, for lists
	 * that show the name beside it.
	 * @return the reason, such as "unsupported format GIF; use JPEG or PNG"
	 */
	public String getReason() {
		return this.reason;
	}

	/**
	 * Returns the file or stream name the failure refers to.
	 * @return the source name as given to {@link ImageLoader}
	 */
	public String getSource() {
		return this.source;
	}

}
