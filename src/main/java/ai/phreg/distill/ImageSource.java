package ai.phreg.distill;

import java.io.IOException;

import ai.phreg.image.RgbImage;

/** A fixed, ordered set of training images, read on demand. */
public interface ImageSource {

	int size();

	/** A name for reports, such as the path relative to the source. */
	String name(int index);

	/** Decodes image {@code index}; an unreadable image is an {@link IOException}. */
	RgbImage read(int index) throws IOException;

}
