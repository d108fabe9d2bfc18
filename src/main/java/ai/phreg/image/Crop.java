package ai.phreg.image;

/**
 * Cropping. Center cropping is done as torchvision 0.14's {@code CenterCrop} does it on a
 * PIL image, because the crop offset decides which pixels the model sees and must match
 * the reference to the pixel. The offset is {@code int(round((size - crop) / 2.0))} with
 * Python's round-half-to-even, so an odd margin of 7 puts 4 pixels before the crop, but a
 * margin of 5 puts 2 before it. A crop larger than the image first pads it with black,
 * splitting the padding {@code d // 2} before and {@code (d + 1) // 2} after, as
 * torchvision does.
 */
public final class Crop {

	private Crop() {
	}

	/**
	 * Cuts the centered {@code height x width} window out of an image.
	 * @param image the source image
	 * @param height crop height
	 * @param width crop width
	 * @return a new image of exactly {@code width x height}
	 */
	public static RgbImage center(RgbImage image, int height, int width) {
		return window(image, offset(image.height(), height), offset(image.width(), width), height, width);
	}

	/**
	 * Cuts the {@code height x width} window whose top-left corner is at
	 * {@code (top, left)}; parts outside the image are black.
	 * @param image the source image
	 * @param top first source row, negative inside the padding
	 * @param left first source column, negative inside the padding
	 * @param height crop height
	 * @param width crop width
	 * @return a new image of exactly {@code width x height}
	 */
	public static RgbImage window(RgbImage image, int top, int left, int height, int width) {
		if (height <= 0 || width <= 0) {
			throw new IllegalArgumentException("Crop size must be positive, got " + height + "x" + width + " (HxW)");
		}
		byte[] in = image.pixels();
		byte[] out = new byte[height * width * 3];
		// Window columns that fall on the image; the rest stay zero, which is the
		// padding.
		int fromColumn = Math.max(0, -left);
		int toColumn = Math.min(width, image.width() - left);
		for (int y = 0; y < height; y++) {
			int sourceRow = y + top;
			if (sourceRow < 0 || sourceRow >= image.height() || fromColumn >= toColumn) {
				continue;
			}
			System.arraycopy(in, (sourceRow * image.width() + left + fromColumn) * 3, out, (y * width + fromColumn) * 3,
					(toColumn - fromColumn) * 3);
		}
		return new RgbImage(width, height, out);
	}

	/**
	 * Start of the crop window in source coordinates; negative when the window begins in
	 * the padding.
	 */
	static int offset(int size, int crop) {
		if (crop > size) {
			// Padded to exactly the crop size, so the window starts at the padded origin.
			return -((crop - size) / 2);
		}
		return (int) Math.rint((size - crop) / 2.0);
	}

}
