package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Layer normalization over the last (embedding) axis with an affine {@code weight} and
 * {@code bias}; DINOv2 and timm use eps 1e-6, CLIP 1e-5.
 */
public final class LayerNormalization extends NamedBlock {

	private final Parameter weight;

	private final Parameter bias;

	private final float eps;

	private final Shape normalizedShape;

	public LayerNormalization(long dim, float eps) {
		this.normalizedShape = new Shape(dim);
		this.weight = addWeight("weight", this.normalizedShape);
		this.bias = addWeight("bias", this.normalizedShape);
		this.eps = eps;
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDArray x = inputs.singletonOrThrow();
		NDArray gamma = value(store, this.weight, x, training);
		NDArray beta = value(store, this.bias, x, training);
		return LayerNorm.layerNorm(x, this.normalizedShape, gamma, beta, this.eps);
	}

}
