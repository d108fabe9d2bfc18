package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;

/**
 * SwiGLU with one packed input projection {@code fc1 [2h, D]}: the first h outputs gate
 * the last h, {@code fc2(silu(a) ⊙ b)} (see {@link FeedForward#SWIGLU_PACKED}).
 */
final class PackedSwiGlu extends FeedForwardBlock {

	private final Linear fc1;

	private final Linear fc2;

	PackedSwiGlu(long dim, long hiddenDim) {
		this.fc1 = addNamedChild("fc1", new Linear(dim, 2 * hiddenDim, true));
		this.fc2 = addNamedChild("fc2", new Linear(hiddenDim, dim, true));
	}

	@Override
	protected NDArray hidden(ParameterStore store, NDArray x, boolean training) {
		NDArray packed = this.fc1.forward(store, x, training);
		// chunk(2, dim=-1): gate first, value second
		NDList halves = packed.split(2, packed.getShape().dimension() - 1);
		return Activation.sigmoid(halves.get(0)).mul(halves.get(0)).mul(halves.get(1));
	}

	@Override
	protected NDArray output(ParameterStore store, NDArray hidden, boolean training) {
		return this.fc2.forward(store, hidden, training);
	}

}
