package ai.phreg.image;

import java.util.Arrays;

/**
 * Per-channel normalisation, the {@code ToTensor()} + {@code Normalize(mean, std)} tail
 * of the torchvision pipeline. It is written to be bit-identical to PyTorch: each sample
 * is {@code u8 / 255f}, then {@code (x - mean) / std}, every step in float32, and mean
 * and std are Python floats (doubles) narrowed to float32 as {@code torch.as_tensor}
 * does, never parsed directly as float.
 *
 * @param mean per-channel mean, R G B
 * @param std per-channel standard deviation, R G B
 */
public record Normalization(float[] mean, float[] std) {

	/** ImageNet statistics used by DINOv2, timm and PH-Reg. */
	public static final Normalization IMAGENET = of(new double[] { 0.485, 0.456, 0.406 },
			new double[] { 0.229, 0.224, 0.225 });

	/** OpenAI CLIP statistics, as in {@code clip._transform}. */
	public static final Normalization CLIP = of(new double[] { 0.48145466, 0.4578275, 0.40821073 },
			new double[] { 0.26862954, 0.26130258, 0.27577711 });

	public Normalization {
		mean = checked("mean", mean);
		std = checked("std", std);
		for (float s : std) {
			if (s == 0f) {
				throw new IllegalArgumentException("std must not be zero, got " + Arrays.toString(std));
			}
		}
	}

	/**
	 * Creates a normalisation from double statistics the way PyTorch narrows them, so
	 * values taken from Python configs (or JSON) give PyTorch's float32 constants.
	 * @param mean per-channel mean
	 * @param std per-channel standard deviation
	 * @return the normalisation
	 */
	public static Normalization of(double[] mean, double[] std) {
		return new Normalization(narrow(mean), narrow(std));
	}

	@Override
	public float[] mean() {
		return this.mean.clone();
	}

	@Override
	public float[] std() {
		return this.std.clone();
	}

	/**
	 * Converts to a normalised channel-major tensor.
	 * @param image the (already resized and cropped) image
	 * @return {@code [3, H, W]} float32 values, flattened
	 */
	public float[] toChw(RgbImage image) {
		int plane = image.width() * image.height();
		byte[] pixels = image.pixels();
		float[] out = new float[3 * plane];
		for (int c = 0; c < 3; c++) {
			float m = this.mean[c];
			float s = this.std[c];
			for (int i = 0; i < plane; i++) {
				float x = (pixels[i * 3 + c] & 0xFF) / 255f;
				out[c * plane + i] = (x - m) / s;
			}
		}
		return out;
	}

	// Records compare arrays by reference; normalisations are values.
	@Override
	public boolean equals(Object other) {
		return other instanceof Normalization n && Arrays.equals(this.mean, n.mean) && Arrays.equals(this.std, n.std);
	}

	@Override
	public int hashCode() {
		return 31 * Arrays.hashCode(this.mean) + Arrays.hashCode(this.std);
	}

	@Override
	public String toString() {
		return "Normalization[mean=" + Arrays.toString(this.mean) + ", std=" + Arrays.toString(this.std) + "]";
	}

	private static float[] checked(String name, float[] values) {
		if (values == null || values.length != 3) {
			throw new IllegalArgumentException(name + " needs 3 channel values, got " + Arrays.toString(values));
		}
		for (float v : values) {
			if (!Float.isFinite(v)) {
				throw new IllegalArgumentException(name + " must be finite, got " + Arrays.toString(values));
			}
		}
		return values.clone();
	}

	private static float[] narrow(double[] values) {
		if (values == null) {
			throw new IllegalArgumentException("Channel statistics must not be null");
		}
		float[] narrowed = new float[values.length];
		for (int i = 0; i < values.length; i++) {
			narrowed[i] = (float) values[i];
		}
		return narrowed;
	}

}
