package ai.phreg.imagesource;

import java.io.IOException;
import java.util.Locale;

import ai.phreg.image.RgbImage;

/** A fixed, ordered set of training images, read on demand. */
public interface ImageSource {

	/** Whether a file name has a JPEG or PNG extension, the formats sources take. */
	static boolean isImageName(String name) {
		String lower = name.toLowerCase(Locale.ROOT);
		return lower.endsWith(".jpg") || lower.endsWith(".jpeg") || lower.endsWith(".png");
	}

	int size();

	/** A name for reports, such as the path relative to the source. */
	String name(int index);

	/** Decodes image {@code index}; an unreadable image is an {@link IOException}. */
	RgbImage read(int index) throws IOException;

}
