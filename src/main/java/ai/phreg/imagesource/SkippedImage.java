package ai.phreg.imagesource;

import java.io.IOException;
import java.util.List;

import ai.phreg.image.UnreadableImageException;

/**
 * An item of an image source that training or evaluation went without, and why, in words
 * a user can act on.
 *
 * @param name the item's name within its source, as {@link ImageSource#name(int)} gives
 * it
 * @param reason why it was skipped, such as "unsupported format GIF; use JPEG or PNG"
 */
public record SkippedImage(String name, String reason) {

	/**
	 * How many were skipped, with the first as an example, for the message of a source
	 * left with no usable image: " (2 skipped, such as a.gif: unsupported format GIF; use
	 * JPEG or PNG)", or nothing when none was.
	 */
	static String summary(List<SkippedImage> skipped) {
		if (skipped.isEmpty()) {
			return "";
		}
		SkippedImage first = skipped.get(0);
		return " (" + skipped.size() + " skipped, such as " + first.name() + ": " + first.reason() + ")";
	}

	/**
	 * The reason for skipping an image that failed to read: an
	 * {@link UnreadableImageException}'s reason without the name its message repeats.
	 */
	public static String reasonOf(IOException failure) {
		return (failure instanceof UnreadableImageException unreadable) ? unreadable.getReason() : failure.getMessage();
	}

}
