package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** The feed-forward branch of a transformer block: {@code fc2(act(fc1(x)))}. */
public final class Mlp extends NamedBlock {

	private final Linear fc1;

	private final Linear fc2;

	private final MlpActivation activation;

	public Mlp(long dim, long hiddenDim, MlpActivation activation) {
		this.fc1 = addNamedChild("fc1", new Linear(dim, hiddenDim, true));
		this.fc2 = addNamedChild("fc2", new Linear(hiddenDim, dim, true));
		this.activation = activation;
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDArray hidden = this.activation.apply(this.fc1.forward(store, inputs.singletonOrThrow(), training));
		return new NDList(this.fc2.forward(store, hidden, training));
	}

}
