package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention with a fused {@code qkv} projection whose output features are
 * laid out {@code [3][heads][head_dim]}, as in DINOv2, timm and (after concatenation)
 * CLIP's {@code in_proj}.
 */
public final class Attention extends NamedBlock {

	private final Linear qkv;

	private final Linear proj;

	private final int numHeads;

	public Attention(long dim, int numHeads, boolean qkvBias) {
		this.qkv = addNamedChild("qkv", new Linear(dim, 3 * dim, qkvBias));
		this.proj = addNamedChild("proj", new Linear(dim, dim, true));
		this.numHeads = numHeads;
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDList heads = heads(store, inputs.singletonOrThrow(), training);
		NDArray q = GraphConstants.times(heads.get(0), scale(heads.get(0)));
		// (B, H, T, hd) x (B, H, hd, T) -> (B, H, T, T)
		NDArray weights = q.matMul(heads.get(1).transpose(0, 1, 3, 2)).softmax(-1);
		return new NDList(project(store, weights.matMul(heads.get(2)), training));
	}

	/** Queries, keys and values per head, each {@code (B, H, T, hd)}. */
	public NDList heads(ParameterStore store, NDArray x, boolean training) {
		long batch = x.getShape().get(0);
		long tokens = x.getShape().get(1);
		long dim = x.getShape().get(2);
		// (B, T, 3D) -> (B, T, 3, H, hd) -> (3, B, H, T, hd)
		NDArray qkvHeads = this.qkv.forward(store, x, training)
			.reshape(batch, tokens, 3, this.numHeads, dim / this.numHeads)
			.transpose(2, 0, 3, 1, 4);
		return new NDList(qkvHeads.get(0), qkvHeads.get(1), qkvHeads.get(2));
	}

	/**
	 * The softmax temperature {@code head_dim^-0.5} for heads shaped like {@code heads}.
	 */
	public static float scale(NDArray heads) {
		return (float) (1.0 / Math.sqrt(heads.getShape().get(3)));
	}

	/**
	 * Merges per-head outputs {@code (B, H, T, hd)} and applies the output projection.
	 */
	public NDArray project(ParameterStore store, NDArray heads, boolean training) {
		Shape shape = heads.getShape();
		// (B, H, T, hd) -> (B, T, H, hd) -> (B, T, D)
		NDArray merged = heads.transpose(0, 2, 1, 3).reshape(shape.get(0), shape.get(2), shape.get(1) * shape.get(3));
		return this.proj.forward(store, merged, training);
	}

}
