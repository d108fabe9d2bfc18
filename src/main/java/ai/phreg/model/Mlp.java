package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/** The feed-forward branch of a transformer block: {@code fc2(act(fc1(x)))}. */
public final class Mlp extends FeedForwardBlock {

	private final Linear fc1;

	private final Linear fc2;

	private final MlpActivation activation;

	public Mlp(long dim, long hiddenDim, MlpActivation activation) {
		this.fc1 = addNamedChild("fc1", new Linear(dim, hiddenDim, true));
		this.fc2 = addNamedChild("fc2", new Linear(hiddenDim, dim, true));
		this.activation = activation;
	}

	@Override
	protected NDArray hidden(ParameterStore store, NDArray x, boolean training) {
		return this.activation.apply(this.fc1.forward(store, x, training));
	}

	@Override
	protected NDArray output(ParameterStore store, NDArray hidden, boolean training) {
		return this.fc2.forward(store, hidden, training);
	}

}
