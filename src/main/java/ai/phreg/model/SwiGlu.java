package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;

/**
 * SwiGLU with separate gate and value projections, optionally normalizing the gated
 * product: {@code fc2(norm(silu(fc1_g x) ⊙ fc1_x x))} (see {@link FeedForward#SWIGLU}).
 */
final class SwiGlu extends FeedForwardBlock {

	private final Linear gate;

	private final Linear value;

	private final LayerNormalization norm;

	private final Linear fc2;

	/**
	 * @param norm the LayerNorm over the gated product, null for none
	 */
	SwiGlu(long dim, long hiddenDim, LayerNormalization norm) {
		this.gate = addNamedChild("fc1_g", new Linear(dim, hiddenDim, true));
		this.value = addNamedChild("fc1_x", new Linear(dim, hiddenDim, true));
		this.norm = (norm != null) ? addNamedChild("norm", norm) : null;
		this.fc2 = addNamedChild("fc2", new Linear(hiddenDim, dim, true));
	}

	/** The gated product, before the optional norm. */
	@Override
	protected NDArray hidden(ParameterStore store, NDArray x, boolean training) {
		NDArray a = this.gate.forward(store, x, training);
		return Activation.sigmoid(a).mul(a).mul(this.value.forward(store, x, training));
	}

	@Override
	protected NDArray output(ParameterStore store, NDArray hidden, boolean training) {
		NDArray normalized = (this.norm != null) ? this.norm.forward(store, hidden, training) : hidden;
		return this.fc2.forward(store, normalized, training);
	}

}
