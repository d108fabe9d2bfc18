package ai.phreg.distill;

/**
 * What a PH-Reg run does. Defaults follow the paper for DINOv2 (16 registers, 10 views,
 * shift 0.15, AdamW 1e-4 → 5e-6, weight decay 1e-2, batch 8, λ = 1).
 *
 * @param registers new register tokens N
 * @param unlock the trained parameters
 * @param views test-time views V per image, view 0 the identity
 * @param shiftFraction the largest shift as a fraction of the grid side
 * @param resolution the square training crop R in pixels, a multiple of the patch size
 * @param batchSize images per optimizer step
 * @param epochs passes over the images
 * @param learningRate the initial learning rate
 * @param endLearningRate the floor of the per-epoch exponential decay
 * @param weightDecay AdamW's decoupled weight decay
 * @param mseWeight λ, the weight of the MSE term
 * @param seed the seed every random choice of the run derives from
 */
public record DistillSettings(int registers, UnlockPolicy unlock, int views, double shiftFraction, int resolution,
		int batchSize, int epochs, double learningRate, double endLearningRate, double weightDecay, float mseWeight,
		long seed) {

	public DistillSettings {
		if (registers < 1) {
			throw new IllegalArgumentException("registers must be at least 1, got " + registers);
		}
		if (views < 1 || batchSize < 1 || epochs < 1 || resolution < 1) {
			throw new IllegalArgumentException("views, batch size, epochs and resolution must be positive");
		}
		if (!(shiftFraction >= 0 && shiftFraction < 1)) {
			throw new IllegalArgumentException("shift fraction must be in [0, 1), got " + shiftFraction);
		}
	}

	/** The paper's DINOv2 settings at a given crop size and epoch count. */
	public static DistillSettings paperDefaults(int resolution, int epochs, long seed) {
		return new DistillSettings(16, UnlockPolicy.DEFAULT, 10, 0.15, resolution, 8, epochs, 1e-4, 5e-6, 1e-2, 1f,
				seed);
	}

}
