package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Cuts the image into non-overlapping patches and projects each to a token: a convolution
 * with kernel and stride equal to the patch size ({@code proj.weight [D, 3, p, p]}).
 */
public final class PatchEmbedding extends NamedBlock {

	private final Parameter weight;

	private final Parameter bias;

	private final int patchSize;

	public PatchEmbedding(int patchSize, int inChannels, int dim, boolean withBias) {
		this.weight = addWeight("proj.weight", new Shape(dim, inChannels, patchSize, patchSize));
		this.bias = withBias ? addWeight("proj.bias", new Shape(dim)) : null;
		this.patchSize = patchSize;
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDArray pixels = inputs.singletonOrThrow();
		NDArray w = value(store, this.weight, pixels, training);
		NDArray b = (this.bias != null) ? value(store, this.bias, pixels, training) : null;
		Shape stride = new Shape(this.patchSize, this.patchSize);
		// (B, 3, H, W) -> (B, D, h, w)
		NDArray grid = Conv2d.conv2d(pixels, w, b, stride).singletonOrThrow();
		long batch = grid.getShape().get(0);
		long dim = grid.getShape().get(1);
		// (B, D, h, w) -> (B, D, h*w) -> (B, h*w, D), patches row-major
		return new NDList(grid.reshape(batch, dim, -1).transpose(0, 2, 1));
	}

}
