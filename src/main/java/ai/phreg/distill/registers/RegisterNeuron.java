package ai.phreg.distill.registers;

/**
 * One MLP neuron that writes high-norm artifacts, as {@link RegisterNeurons} ranks them.
 *
 * @param layer the block index, from 0
 * @param neuron the hidden unit of that block's MLP
 * @param score its mean absolute activation at the outlier tokens, averaged over the
 * images that have some
 */
public record RegisterNeuron(int layer, int neuron, double score) {

	public RegisterNeuron {
		if (layer < 0 || neuron < 0) {
			throw new IllegalArgumentException("Layer and neuron must not be negative, got " + layer + ", " + neuron);
		}
	}

}
