package ai.phreg.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * An 8-bit RGB raster, the common currency between decoding and preprocessing. Pixels are
 * interleaved and row-major ({@code [H,W,3]}), the layout numpy shows for a PIL "RGB"
 * image and the layout of the {@code raw_uint8} reference tensors, so images compare
 * directly with the fixtures.
 * <p>
 * The pixel array is owned by the image and never copied for speed; callers must treat it
 * as read-only. Every operation in this package returns a new image.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param pixels {@code width * height * 3} bytes, unsigned, R G B per pixel
 */
public record RgbImage(int width, int height, byte[] pixels) {

	public RgbImage {
		if (width <= 0 || height <= 0) {
			throw new IllegalArgumentException("Image size must be positive, got " + width + "x" + height);
		}
		Objects.requireNonNull(pixels, "pixels");
		long expected = (long) width * height * 3;
		if (pixels.length != expected) {
			throw new IllegalArgumentException(
					"A " + width + "x" + height + " RGB image needs " + expected + " bytes, got " + pixels.length);
		}
	}

	/**
	 * Returns one channel value, 0 to 255.
	 * @param x column
	 * @param y row
	 * @param channel 0 = red, 1 = green, 2 = blue
	 * @return the unsigned sample
	 */
	public int sample(int x, int y, int channel) {
		Objects.checkIndex(x, this.width);
		Objects.checkIndex(y, this.height);
		Objects.checkIndex(channel, 3);
		return this.pixels[(y * this.width + x) * 3 + channel] & 0xFF;
	}

	// Records compare arrays by reference; images are values, so compare the pixels.
	@Override
	public boolean equals(Object other) {
		return other instanceof RgbImage image && this.width == image.width && this.height == image.height
				&& Arrays.equals(this.pixels, image.pixels);
	}

	@Override
	public int hashCode() {
		return 31 * (31 * this.width + this.height) + Arrays.hashCode(this.pixels);
	}

	@Override
	public String toString() {
		return "RgbImage[" + this.width + "x" + this.height + "]";
	}

}
