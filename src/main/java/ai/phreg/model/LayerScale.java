package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Per-channel scaling {@code x ⊙ gamma} of a residual branch (DINOv2, DeiT-III, timm
 * {@code *_reg*}).
 */
public final class LayerScale extends NamedBlock {

	private final Parameter gamma;

	public LayerScale(long dim) {
		this.gamma = addWeight("gamma", new Shape(dim));
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDArray x = inputs.singletonOrThrow();
		return new NDList(x.mul(value(store, this.gamma, x, training)));
	}

}
