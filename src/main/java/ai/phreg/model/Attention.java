package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
		NDArray x = inputs.singletonOrThrow();
		long batch = x.getShape().get(0);
		long tokens = x.getShape().get(1);
		long dim = x.getShape().get(2);
		long headDim = dim / this.numHeads;
		float scale = (float) (1.0 / Math.sqrt(headDim));
		// (B, T, 3D) -> (B, T, 3, H, hd) -> (3, B, H, T, hd)
		NDArray qkvHeads = this.qkv.forward(store, x, training)
			.reshape(batch, tokens, 3, this.numHeads, headDim)
			.transpose(2, 0, 3, 1, 4);
		NDArray q = qkvHeads.get(0).mul(scale);
		NDArray k = qkvHeads.get(1);
		NDArray v = qkvHeads.get(2);
		// (B, H, T, hd) x (B, H, hd, T) -> (B, H, T, T)
		NDArray weights = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
		// (B, H, T, hd) -> (B, T, H, hd) -> (B, T, D)
		NDArray mixed = weights.matMul(v).transpose(0, 2, 1, 3).reshape(batch, tokens, dim);
		return new NDList(this.proj.forward(store, mixed, training));
	}

}
