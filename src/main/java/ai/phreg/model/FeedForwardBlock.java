package ai.phreg.model;

import java.util.function.UnaryOperator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A feed-forward branch split at its hidden activations, the "neurons" of the block: what
 * the input projection and nonlinearity produce, and what the output projection makes of
 * them. The split lets a forward pass read or change the neurons in between
 * ({@link MlpActivationHook}).
 */
public abstract class FeedForwardBlock extends NamedBlock {

	/**
	 * The hidden activations {@code (B, T, h)} of tokens {@code (B, T, D)}: after the
	 * activation function, or the gated product of a SwiGLU.
	 */
	protected abstract NDArray hidden(ParameterStore store, NDArray x, boolean training);

	/**
	 * The branch's output {@code (B, T, D)} from hidden activations {@code (B, T, h)}.
	 */
	protected abstract NDArray output(ParameterStore store, NDArray hidden, boolean training);

	/**
	 * The branch's output with its hidden activations passed through {@code onHidden}
	 * first, which may return them unchanged or changed.
	 */
	public final NDArray forward(ParameterStore store, NDArray x, boolean training, UnaryOperator<NDArray> onHidden) {
		return output(store, onHidden.apply(hidden(store, x, training)), training);
	}

	@Override
	protected final NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		return new NDList(forward(store, inputs.singletonOrThrow(), training, UnaryOperator.identity()));
	}

}
