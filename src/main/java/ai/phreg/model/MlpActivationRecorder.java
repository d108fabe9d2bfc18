package ai.phreg.model;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import ai.djl.ndarray.NDArray;

/**
 * Keeps the hidden MLP activations of chosen blocks from the forward passes it is given
 * to, and changes nothing. The arrays belong to the pass's manager; each pass replaces
 * the previous one's.
 */
public final class MlpActivationRecorder implements MlpActivationHook {

	private final Set<Integer> layers;

	private final Map<Integer, NDArray> recorded = new TreeMap<>();

	/**
	 * @param layers the block indices whose activations to keep
	 */
	public MlpActivationRecorder(Collection<Integer> layers) {
		this.layers = new TreeSet<>(layers);
	}

	@Override
	public NDArray apply(int layer, NDArray hidden, TokenLayout layout) {
		if (this.layers.contains(layer)) {
			this.recorded.put(layer, hidden);
		}
		return hidden;
	}

	/**
	 * The activations {@code (B, T, h)} block {@code layer} last produced.
	 * @throws IllegalArgumentException when that block is not recorded
	 */
	public NDArray activations(int layer) {
		NDArray hidden = this.recorded.get(layer);
		if (hidden == null) {
			throw new IllegalArgumentException("Block " + layer + " is not recorded; recorded: " + this.layers);
		}
		return hidden;
	}

	/** The recorded block indices, in order. */
	public Set<Integer> layers() {
		return this.layers;
	}

}
