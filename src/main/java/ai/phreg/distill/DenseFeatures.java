package ai.phreg.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.model.ForwardHooks;
import ai.phreg.model.VisionTransformer;

/**
 * The dense patch features a network contributes to PH-Reg: final-norm patch tokens for
 * DINOv2 and timm, NACLIP or value-head features for CLIP.
 */
@FunctionalInterface
public interface DenseFeatures {

	/**
	 * Patch features {@code (B, N, D)} of pixels {@code (B, 3, H, W)}, patches row-major.
	 */
	NDArray of(ParameterStore store, NDArray pixels, boolean training);

	/**
	 * The dense features PH-Reg takes from a teacher of its family (NACLIP for CLIP),
	 * with extra tokens and MLP hooks in its passes.
	 */
	static DenseFeatures ofTeacher(LoadedModel teacher, ForwardHooks hooks) {
		return DenseHeads.teacher(teacher, hooks);
	}

	/** The final-norm patch tokens of a model: DINOv2's and timm's dense features. */
	static DenseFeatures patchTokens(VisionTransformer model) {
		return patchTokens(model, ForwardHooks.NONE);
	}

	/** The final-norm patch tokens of passes with extra tokens and MLP hooks. */
	static DenseFeatures patchTokens(VisionTransformer model, ForwardHooks hooks) {
		return (store, pixels, training) -> model.forward(store, pixels, training, false, hooks).patchTokens();
	}

}
