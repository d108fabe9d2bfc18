package ai.phreg.distill;

/**
 * The PH-Reg paper's settings that do not depend on the teacher's family; the
 * family-dependent ones are in {@link FamilyProfile}. Jobs, the benchmark and the tests
 * take their defaults from here.
 */
public final class PaperDefaults {

	/** New register tokens N. */
	public static final int REGISTERS = 16;

	/** Test-time views V per image. */
	public static final int VIEWS = 10;

	/** The largest shift as a fraction of the patch grid. */
	public static final double SHIFT_FRACTION = 0.15;

	/** Images per optimizer step. */
	public static final int BATCH_SIZE = 8;

	/** AdamW's decoupled weight decay. */
	public static final double WEIGHT_DECAY = 1e-2;

	/** λ, the weight of the MSE term. */
	public static final float MSE_WEIGHT = 1f;

	/**
	 * The most images held out for the artifact evaluation when a job does not say; fewer
	 * when the source is small (see {@link #heldOutImages}).
	 */
	public static final int HELD_OUT_IMAGES = 8;

	private PaperDefaults() {
	}

	/**
	 * Held-out images for a source of {@code images}: {@link #HELD_OUT_IMAGES}, but never
	 * more than a quarter of the images, so that most remain for training (fewer than
	 * four images are not split).
	 */
	public static int heldOutImages(int images) {
		return Math.min(HELD_OUT_IMAGES, images / 4);
	}

}
