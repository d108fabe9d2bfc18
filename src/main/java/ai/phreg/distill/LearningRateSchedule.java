package ai.phreg.distill;

/**
 * PH-Reg's per-epoch exponential decay from {@code lr} towards {@code end}:
 * {@code lr_e = lr·(end/lr)^((e+1)/E)}, floored at {@code end}. As in the authors' loop,
 * which sets the rate after each optimizer step, the very first step runs at {@code lr}
 * and every later step at the rate of the epoch its predecessor belonged to.
 *
 * @param lr the initial learning rate
 * @param end the final learning rate
 * @param epochs the number of epochs E
 * @param stepsPerEpoch optimizer steps in one epoch
 */
public record LearningRateSchedule(double lr, double end, int epochs, long stepsPerEpoch) {

	public LearningRateSchedule {
		if (!(lr > 0) || !(end > 0) || end > lr || epochs < 1 || stepsPerEpoch < 1) {
			throw new IllegalArgumentException("Need 0 < end <= lr, epochs >= 1 and steps per epoch >= 1, got lr " + lr
					+ ", end " + end + ", " + epochs + " epochs, " + stepsPerEpoch + " steps per epoch");
		}
	}

	/**
	 * The schedule of a run of exactly {@code totalSteps} steps whose last step runs at
	 * {@code end}. The rate decays over the epochs that steps of the run end (a last,
	 * partial epoch counts), so a run of whole epochs gets the paper's schedule and any
	 * other run still reaches {@code end} on its last step.
	 */
	public static LearningRateSchedule forSteps(double lr, double end, long totalSteps, long stepsPerEpoch) {
		long epochs = Math.max(1, (totalSteps - 1 + stepsPerEpoch - 1) / stepsPerEpoch);
		return new LearningRateSchedule(lr, end, Math.toIntExact(epochs), stepsPerEpoch);
	}

	/** The rate of global optimizer step {@code step} (0-based). */
	public float rateAt(long step) {
		if (step == 0) {
			return (float) this.lr;
		}
		long previousEpoch = (step - 1) / this.stepsPerEpoch;
		return (float) rateAfterEpoch(previousEpoch);
	}

	/** {@code lr_e}, the rate set during epoch {@code e}. */
	public double rateAfterEpoch(long epoch) {
		double decayed = this.lr * Math.pow(this.end / this.lr, (epoch + 1) / (double) this.epochs);
		return Math.max(decayed, this.end);
	}

}
