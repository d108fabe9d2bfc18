package ai.phreg.image;

import java.util.Locale;

/**
 * How large an image may be before it is decoded. A small file can declare a huge image
 * (a 20000x20000 PNG of one colour compresses to a few kilobytes and decodes to 1.2 GB),
 * so the size is judged from the header alone. The aspect ratio is bounded too, because
 * images are scaled so their shorter side matches the model's resolution: a 3x50000 strip
 * would become 224 pixels wide and 3.7 million tall.
 *
 * @param maxPixels the most pixels (width times height) an image may have
 * @param maxAspectRatio the most times its longer side may exceed its shorter side
 */
public record ImageLimits(long maxPixels, int maxAspectRatio) {

	/** 40 megapixels, more than most cameras take, and an aspect ratio of 50:1. */
	public static final ImageLimits DEFAULT = new ImageLimits(40_000_000, 50);

	/** Room for metadata (EXIF, ICC profiles, text) beyond the pixel data. */
	private static final long METADATA_BYTES = 64L << 20;

	/** The most bytes a Java array can hold. */
	private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

	/** The most pixels an {@link RgbImage} can hold, three bytes each in one array. */
	public static final long MAX_PIXELS = (Integer.MAX_VALUE - 8) / 3;

	public ImageLimits {
		if (maxPixels < 1 || maxPixels > MAX_PIXELS || maxAspectRatio < 1) {
			throw new IllegalArgumentException(
					"Image limits must be 1 to " + MAX_PIXELS + " pixels and an aspect ratio of at least 1, got "
							+ maxPixels + " pixels and " + maxAspectRatio + ":1");
		}
	}

	/**
	 * The most bytes an encoded image may have: even stored uncompressed, 16-bit RGBA
	 * pixels take 8 bytes each.
	 */
	public int maxFileBytes() {
		return (int) Math.min(MAX_ARRAY, this.maxPixels * 8 + METADATA_BYTES);
	}

	/**
	 * Why an encoded image of this many bytes is refused, or null when it is not.
	 * @param fileBytes the length of the file or archive member
	 * @return a reason fit for the user, or null
	 */
	public String fileSizeRefusal(long fileBytes) {
		if (fileBytes <= maxFileBytes()) {
			return null;
		}
		return "the file is larger than " + (maxFileBytes() >> 20) + " MB; scale the image down";
	}

	/**
	 * Why an image of this size is refused, or null when it is within the limits.
	 * @param width the width its header declares
	 * @param height the height its header declares
	 * @return a reason fit for the user, or null
	 */
	public String refusal(int width, int height) {
		long pixels = (long) width * height;
		if (pixels > this.maxPixels) {
			return String.format(Locale.ROOT,
					"the image is %dx%d pixels (%.1f megapixels), over the limit of %.1f; " + "scale it down", width,
					height, pixels / 1e6, this.maxPixels / 1e6);
		}
		long longer = Math.max(width, height);
		long shorter = Math.min(width, height);
		if (longer > shorter * this.maxAspectRatio) {
			return "the image is " + width + "x" + height + " pixels, more than " + this.maxAspectRatio
					+ " times longer than wide; crop it";
		}
		return null;
	}

}
