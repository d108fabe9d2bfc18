package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A fully connected layer {@code y = x·Wᵀ + b} with PyTorch's weight layout
 * {@code [out, in]}.
 */
public final class Linear extends NamedBlock {

	private final Parameter weight;

	private final Parameter bias;

	public Linear(long in, long out, boolean withBias) {
		this.weight = addWeight("weight", new Shape(out, in));
		this.bias = withBias ? addWeight("bias", new Shape(out)) : null;
	}

	/**
	 * {@code x·Wᵀ + b ⊙ mask}: the bias with some outputs' entries switched off (DINOv3's
	 * masked key bias).
	 */
	public NDArray forwardWithBiasMask(ParameterStore store, NDArray x, boolean training, NDArray mask) {
		NDArray w = value(store, this.weight, x, training);
		NDArray b = value(store, this.bias, x, training).mul(mask);
		return ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow();
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDArray x = inputs.singletonOrThrow();
		NDArray w = value(store, this.weight, x, training);
		NDArray b = (this.bias != null) ? value(store, this.bias, x, training) : null;
		// (B, T, in) -> (B, T, out)
		return ai.djl.nn.core.Linear.linear(x, w, b);
	}

}
