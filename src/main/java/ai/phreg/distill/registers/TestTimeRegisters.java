package ai.phreg.distill.registers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.phreg.model.ForwardHooks;
import ai.phreg.model.MlpActivationHook;
import ai.phreg.model.TokenLayout;

/**
 * Test-time registers (Jiang et al., "Vision Transformers Don't Need Trained Registers",
 * 2025): extra tokens appended at inference, into which the register neurons' activity is
 * moved. In each block holding register neurons, every such neuron's activation on the
 * extra tokens becomes its maximum over the image's patch tokens, and on the patch tokens
 * zero; the class token and the model's own registers keep theirs. The high-norm writes
 * then land on the extra tokens, which are dropped, and the patches are clean, without
 * training.
 * <p>
 * The authors' hook sets the extra tokens to one value per block, the activation of the
 * largest magnitude over all tokens and all listed neurons; this sets each neuron to its
 * own maximum over the patches, so that one strong neuron does not inflate the others.
 */
public final class TestTimeRegisters implements MlpActivationHook {

	/** Extra tokens by default: the authors find one enough. */
	public static final int DEFAULT_TOKENS = 1;

	private final Map<Integer, int[]> neuronsByLayer = new TreeMap<>();

	private final List<RegisterNeuron> neurons;

	private final int tokens;

	/**
	 * @param neurons the register neurons
	 * @param tokens extra tokens to append, at least 1
	 */
	public TestTimeRegisters(Collection<RegisterNeuron> neurons, int tokens) {
		if (tokens < 1) {
			throw new IllegalArgumentException("Test-time registers need at least one extra token, got " + tokens);
		}
		this.neurons = List.copyOf(neurons);
		this.tokens = tokens;
		Map<Integer, List<Integer>> grouped = new TreeMap<>();
		for (RegisterNeuron neuron : neurons) {
			grouped.computeIfAbsent(neuron.layer(), (layer) -> new ArrayList<>()).add(neuron.neuron());
		}
		grouped.forEach((layer, units) -> this.neuronsByLayer.put(layer,
				units.stream().mapToInt(Integer::intValue).distinct().toArray()));
	}

	/** The forward-pass hooks of a teacher with these test-time registers. */
	public ForwardHooks hooks() {
		return new ForwardHooks(this.tokens, this);
	}

	public List<RegisterNeuron> neurons() {
		return this.neurons;
	}

	public int tokens() {
		return this.tokens;
	}

	@Override
	public NDArray apply(int layer, NDArray hidden, TokenLayout layout) {
		int[] units = this.neuronsByLayer.get(layer);
		if (units == null || layout.appended() == 0) {
			return hidden;
		}
		Shape shape = hidden.getShape();
		int sequence = (int) shape.get(1);
		int width = (int) shape.get(2);
		float[] listed = new float[width];
		for (int unit : units) {
			if (unit >= width) {
				throw new IllegalArgumentException(
						"Block " + layer + " has " + width + " MLP neurons, no neuron " + unit);
			}
			listed[unit] = 1;
		}
		float[] patchRows = new float[sequence];
		float[] appendedRows = new float[sequence];
		for (int t = layout.firstPatch(); t < layout.firstPatch() + layout.patches(); t++) {
			patchRows[t] = 1;
		}
		for (int t = layout.firstAppended(); t < layout.firstAppended() + layout.appended(); t++) {
			appendedRows[t] = 1;
		}
		NDManager manager = hidden.getManager();
		NDArray neuronMask = mask(manager, listed, new Shape(1, 1, width), hidden);
		NDArray appendedMask = mask(manager, appendedRows, new Shape(1, sequence, 1), hidden).mul(neuronMask);
		NDArray patchMask = mask(manager, patchRows, new Shape(1, sequence, 1), hidden).mul(neuronMask);
		// (B, 1, h): each neuron's maximum over the patches, before any change
		NDArray maxima = hidden.get(":, " + layout.patchRange() + ", :").max(new int[] { 1 }, true);
		NDArray kept = hidden.mul(appendedMask.add(patchMask).neg().add(1));
		return kept.add(appendedMask.mul(maxima));
	}

	private static NDArray mask(NDManager manager, float[] values, Shape shape, NDArray like) {
		return manager.create(values, shape).toDevice(like.getDevice(), false).toType(like.getDataType(), false);
	}

}
