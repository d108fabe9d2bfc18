package ai.phreg.demo;

import java.util.List;

/**
 * Where the demo teacher's artifacts come from, for reports and tests.
 *
 * @param block the index of the transformer block whose MLP holds the planted neurons
 * @param neurons the hidden-unit indices of the planted neurons in that block's MLP
 * @param hotspots for each planted neuron, the grid cell its position code is centred on
 * @param massiveChannels the residual channels the planted neurons write into
 * @param positionCodeChannels for each planted neuron, the residual channel carrying its
 * position code
 * @param textureChannel the residual channel carrying the local-contrast measure the
 * neurons are inhibited by
 * @param writeNorm the norm of the vector one planted neuron adds to the residual stream
 * per unit of activation
 */
public record ArtifactPlanting(int block, int[] neurons, List<GridPosition> hotspots, int[] massiveChannels,
		int[] positionCodeChannels, int textureChannel, float writeNorm) {

	public ArtifactPlanting {
		neurons = neurons.clone();
		hotspots = List.copyOf(hotspots);
		massiveChannels = massiveChannels.clone();
		positionCodeChannels = positionCodeChannels.clone();
	}

	@Override
	public int[] neurons() {
		return this.neurons.clone();
	}

	@Override
	public int[] massiveChannels() {
		return this.massiveChannels.clone();
	}

	@Override
	public int[] positionCodeChannels() {
		return this.positionCodeChannels.clone();
	}

}
