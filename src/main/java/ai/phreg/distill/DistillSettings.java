package ai.phreg.distill;

import java.util.Objects;

/**
 * What a PH-Reg run does. The paper's values live in {@link PaperDefaults} and, per
 * checkpoint family, {@link FamilyProfile}.
 *
 * @param registers new register tokens N
 * @param unlock the trained parameters
 * @param views test-time views V per image, view 0 the identity
 * @param shiftFraction the largest shift as a fraction of the grid side
 * @param resolution the square training crop R in pixels, a multiple of the patch size
 * @param batchSize images per optimizer step
 * @param steps optimizer steps of the whole run, exactly; the last one may end an epoch
 * early
 * @param learningRate the initial learning rate
 * @param endLearningRate the floor of the per-epoch exponential decay
 * @param weightDecay AdamW's decoupled weight decay
 * @param mseWeight λ, the weight of the MSE term
 * @param seed the seed every random choice of the run derives from
 * @param targets where the denoised targets come from; null reads as
 * {@link TargetSource#TTA}
 */
public record DistillSettings(int registers, UnlockPolicy unlock, int views, double shiftFraction, int resolution,
		int batchSize, long steps, double learningRate, double endLearningRate, double weightDecay, float mseWeight,
		long seed, TargetSource targets) {

	/** The paper's run: targets from test-time augmentation. */
	public DistillSettings(int registers, UnlockPolicy unlock, int views, double shiftFraction, int resolution,
			int batchSize, long steps, double learningRate, double endLearningRate, double weightDecay, float mseWeight,
			long seed) {
		this(registers, unlock, views, shiftFraction, resolution, batchSize, steps, learningRate, endLearningRate,
				weightDecay, mseWeight, seed, TargetSource.TTA);
	}

	public DistillSettings {
		// Settings stored before the option existed read as the paper's.
		targets = Objects.requireNonNullElse(targets, TargetSource.TTA);
		if (registers < 1) {
			throw new IllegalArgumentException("registers must be at least 1, got " + registers);
		}
		if (views < 1 || batchSize < 1 || steps < 1 || resolution < 1) {
			throw new IllegalArgumentException("views, batch size, steps and resolution must be positive");
		}
		if (!(shiftFraction >= 0 && shiftFraction < 1)) {
			throw new IllegalArgumentException("shift fraction must be in [0, 1), got " + shiftFraction);
		}
	}

	public DistillSettings withTargets(TargetSource source) {
		return new DistillSettings(this.registers, this.unlock, this.views, this.shiftFraction, this.resolution,
				this.batchSize, this.steps, this.learningRate, this.endLearningRate, this.weightDecay, this.mseWeight,
				this.seed, source);
	}

	/**
	 * The steps of {@code epochs} whole passes over {@code images} images: a last,
	 * partial batch is a step of its own.
	 */
	public static long stepsOfEpochs(int epochs, int images, int batchSize) {
		return epochs * ((images + (long) batchSize - 1) / batchSize);
	}

}
