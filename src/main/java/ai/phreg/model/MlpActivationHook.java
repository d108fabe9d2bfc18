package ai.phreg.model;

import ai.djl.ndarray.NDArray;

/**
 * Reads or changes the hidden activations of the blocks' feed-forward branches during a
 * forward pass: the "neurons" Jiang et al. ("Vision Transformers Don't Need Trained
 * Registers", 2025) find high-norm artifacts to come from.
 */
@FunctionalInterface
public interface MlpActivationHook {

	/** Leaves every activation as it is. */
	MlpActivationHook NONE = (layer, hidden, layout) -> hidden;

	/**
	 * The activations block {@code layer}'s output projection is to see.
	 * @param layer the block index, from 0
	 * @param hidden the activations {@code (B, T, h)} after the activation function (the
	 * gated product of a SwiGLU)
	 * @param layout where the patch and appended tokens sit among the {@code T}
	 * @return {@code hidden} itself to only read them, or changed activations of the same
	 * shape
	 */
	NDArray apply(int layer, NDArray hidden, TokenLayout layout);

}
