package ai.phreg.image;

/**
 * Bicubic resizing that reproduces Pillow 9.4's {@code Image.resize(size, BICUBIC)} on
 * 8-bit RGB images, so that Java preprocessing yields the same pixels as the torchvision
 * {@code Resize(..., BICUBIC)} used by DINOv2, CLIP and PH-Reg. Any approximation here
 * would shift every downstream activation, so the algorithm follows Pillow's arithmetic
 * rather than a textbook bicubic:
 * <ul>
 * <li>separable, horizontal pass first, then vertical; a pass is skipped when its size is
 * unchanged;</li>
 * <li>Keys cubic with {@code a = -0.5}, support 2 stretched by the downscale factor
 * (antialiasing), taps clipped to the image (no edge replication) and weights normalised
 * to sum 1, all in double precision;</li>
 * <li>weights then rounded to 22-bit fixed point, accumulated in 32-bit integers with a
 * rounding offset, and clipped to 0..255 after each pass (the intermediate image is
 * 8-bit, as in Pillow).</li>
 * </ul>
 */
public final class BicubicResize {

	/**
	 * Pillow's 32 - 8 - 2: 8 bits of sample plus headroom for negative lobes and sign.
	 */
	private static final int PRECISION_BITS = 22;

	private static final int ROUNDING = 1 << (PRECISION_BITS - 1);

	private static final double SUPPORT = 2.0;

	private static final double A = -0.5;

	/** The most bytes a Java array can hold. */
	private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

	private BicubicResize() {
	}

	/**
	 * Resizes to an exact size.
	 * @param image the source image
	 * @param width the target width
	 * @param height the target height
	 * @return a new image of the requested size
	 */
	public static RgbImage resize(RgbImage image, int width, int height) {
		if (width <= 0 || height <= 0) {
			throw new IllegalArgumentException("Target size must be positive, got " + width + "x" + height);
		}
		// In long: a 3x50000 strip scaled to 224 wide would be 3.7 million rows tall,
		// whose byte count overflows an int.
		long bytes = (long) Math.max(width, image.width()) * Math.max(height, image.height()) * 3;
		if (bytes > MAX_BYTES) {
			throw new IllegalArgumentException("Cannot resize a " + image.width() + "x" + image.height() + " image to "
					+ width + "x" + height + ": the result would be too large to hold");
		}
		byte[] pixels = image.pixels();
		if (width != image.width()) {
			byte[] out = new byte[width * image.height() * 3];
			// Each row is one line; samples along a row are one pixel (3 bytes) apart.
			resample(pixels, out, Kernel.of(image.width(), width), image.height(), image.width() * 3, 3, width * 3, 3);
			pixels = out;
		}
		if (height != image.height()) {
			byte[] out = new byte[width * height * 3];
			// Each column is one line; samples along a column are one row apart.
			resample(pixels, out, Kernel.of(image.height(), height), width, 3, width * 3, 3, width * 3);
			pixels = out;
		}
		return new RgbImage(width, height, (pixels != image.pixels()) ? pixels : pixels.clone());
	}

	/**
	 * Scales so the shorter side becomes {@code shorterSide}, keeping the aspect ratio by
	 * torchvision's rule {@code new_long = int(shorterSide * long / short)} (truncating,
	 * not rounding), which is what {@code Resize(int)} does.
	 * @param image the source image
	 * @param shorterSide the target length of the shorter side
	 * @return the resized image
	 */
	public static RgbImage resizeShorterSide(RgbImage image, int shorterSide) {
		if (shorterSide <= 0) {
			throw new IllegalArgumentException("Shorter side must be positive, got " + shorterSide);
		}
		int width = image.width();
		int height = image.height();
		int shortLength = Math.min(width, height);
		int longLength = Math.max(width, height);
		// Python's true division of two ints is correctly rounded; so is this double
		// division, because both operands are exact.
		int newLong = (int) ((double) ((long) shorterSide * longLength) / shortLength);
		return (width <= height) ? resize(image, shorterSide, newLong) : resize(image, newLong, shorterSide);
	}

	private static void resample(byte[] in, byte[] out, Kernel kernel, int lines, int inLineStep, int inSampleStep,
			int outLineStep, int outSampleStep) {
		for (int line = 0; line < lines; line++) {
			for (int o = 0; o < kernel.outSize(); o++) {
				int first = kernel.first()[o];
				int count = kernel.count()[o];
				int weightBase = o * kernel.taps();
				int red = ROUNDING;
				int green = ROUNDING;
				int blue = ROUNDING;
				for (int i = 0; i < count; i++) {
					int weight = kernel.weights()[weightBase + i];
					int p = line * inLineStep + (first + i) * inSampleStep;
					red += (in[p] & 0xFF) * weight;
					green += (in[p + 1] & 0xFF) * weight;
					blue += (in[p + 2] & 0xFF) * weight;
				}
				int q = line * outLineStep + o * outSampleStep;
				out[q] = clip(red);
				out[q + 1] = clip(green);
				out[q + 2] = clip(blue);
			}
		}
	}

	private static byte clip(int accumulator) {
		// Arithmetic shift floors, so with the ROUNDING offset this rounds half up.
		int value = accumulator >> PRECISION_BITS;
		return (byte) ((value < 0) ? 0 : Math.min(value, 255));
	}

	private static double cubic(double x) {
		double t = Math.abs(x);
		// Same operation order as Pillow so the doubles, and hence the rounded
		// fixed-point weights, come out identical.
		if (t < 1.0) {
			return ((A + 2.0) * t - (A + 3.0)) * t * t + 1;
		}
		if (t < 2.0) {
			return (((t - 5) * t + 8) * t - 4) * A;
		}
		return 0.0;
	}

	/**
	 * Fixed-point filter taps for one axis: output position {@code o} reads
	 * {@code count[o]} input samples from {@code first[o]} with the weights at
	 * {@code weights[o * taps]}.
	 */
	private record Kernel(int outSize, int taps, int[] first, int[] count, int[] weights) {

		static Kernel of(int inSize, int outSize) {
			double scale = (double) inSize / outSize;
			double filterScale = Math.max(scale, 1.0);
			double support = SUPPORT * filterScale;
			int taps = (int) Math.ceil(support) * 2 + 1;
			int[] first = new int[outSize];
			int[] count = new int[outSize];
			int[] weights = new int[outSize * taps];
			double[] row = new double[taps];
			double inverseFilterScale = 1.0 / filterScale;
			for (int o = 0; o < outSize; o++) {
				double center = (o + 0.5) * scale;
				// Casts truncate toward zero like C's, which matters for the +0.5
				// rounding of negative window starts before they are clamped.
				int start = Math.max(0, (int) (center - support + 0.5));
				int end = Math.min(inSize, (int) (center + support + 0.5));
				int n = end - start;
				double sum = 0.0;
				for (int i = 0; i < n; i++) {
					row[i] = cubic(((i + start) - center + 0.5) * inverseFilterScale);
					sum += row[i];
				}
				for (int i = 0; i < n; i++) {
					double weight = (sum != 0.0) ? row[i] / sum : row[i];
					weights[o * taps + i] = toFixedPoint(weight);
				}
				first[o] = start;
				count[o] = n;
			}
			return new Kernel(outSize, taps, first, count, weights);
		}

		private static int toFixedPoint(double weight) {
			double scaled = weight * (1 << PRECISION_BITS);
			return (int) ((weight < 0) ? scaled - 0.5 : scaled + 0.5);
		}

	}

}
