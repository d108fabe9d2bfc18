package ai.phreg.imagesource;

import java.io.IOException;
import java.util.List;

import ai.phreg.image.ImageFormat;
import ai.phreg.image.RgbImage;

/**
 * A fixed, ordered set of training images, read on demand. Items found while scanning
 * that cannot be images of the set (unsafe links, special files, unsupported formats) are
 * not among them but listed by {@link #skipped()}.
 */
public interface ImageSource {

	/**
	 * Why an item of a source is not an image of it, judged by its name alone: null for
	 * JPEG and PNG names and for names that are not pictures at all (such as
	 * {@code notes.txt}), which are left out silently.
	 */
	static String unsupportedReason(String name) {
		return ImageFormat.ofName(name)
			.filter((format) -> !format.supported())
			.map(ImageFormat::unsupportedReason)
			.orElse(null);
	}

	int size();

	/** A name for reports, such as the path relative to the source. */
	String name(int index);

	/** Decodes image {@code index}; an unreadable image is an {@link IOException}. */
	RgbImage read(int index) throws IOException;

	/**
	 * The items left out when the source was scanned, in name order; images that fail
	 * only when {@link #read(int) read} are not among them.
	 */
	List<SkippedImage> skipped();

}
