package ai.phreg.distill;

import ai.djl.ndarray.NDArray;
import ai.phreg.model.GraphConstants;

/**
 * PH-Reg's loss on patch tokens:
 * {@code (1 − mean cos(student, target)) + λ·MSE(student, target)}, in float32, with the
 * authors' 1e-8 added to each norm.
 *
 * @param mseWeight λ, 1.0 in the paper
 */
public record DistillationLoss(float mseWeight) {

	private static final float NORM_EPSILON = 1e-8f;

	/** The loss and its parts for student and target features {@code (B, N, D)}. */
	public Parts compute(NDArray student, NDArray target) {
		if (!student.getShape().equals(target.getShape())) {
			throw new IllegalArgumentException(
					"Student features " + student.getShape() + " and targets " + target.getShape() + " differ");
		}
		NDArray studentUnit = student.div(student.norm(new int[] { -1 }, true).add(NORM_EPSILON));
		NDArray targetUnit = target.div(target.norm(new int[] { -1 }, true).add(NORM_EPSILON));
		NDArray cosine = studentUnit.mul(targetUnit).sum(new int[] { -1 }).mean().neg().add(1f);
		NDArray mse = student.sub(target).square().mean();
		return new Parts(cosine.add(GraphConstants.times(mse, this.mseWeight)), cosine, mse);
	}

	/**
	 * @param total the loss to minimise (scalar)
	 * @param cosine {@code 1 − mean cos}
	 * @param mse the unweighted mean squared error
	 */
	public record Parts(NDArray total, NDArray cosine, NDArray mse) {
	}

}
