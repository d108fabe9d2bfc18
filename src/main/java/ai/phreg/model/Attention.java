package ai.phreg.model;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention with a fused {@code qkv} projection whose output features are
 * laid out {@code [3][heads][head_dim]}, as in DINOv2, timm and (after concatenation)
 * CLIP's {@code in_proj}.
 * <p>
 * Families without a key bias (DINOv3's masked one, EVA-02's
 * {@code q_bias}/{@code v_bias}, transformers' {@code key_bias: false}) keep the full
 * {@code [3D]} bias with its key third switched off in the forward pass, so a
 * checkpoint's stored (ignored) key third survives a round trip unchanged. With rotary
 * embedding the queries and keys of the patch tokens are rotated before the scores.
 */
public final class Attention extends NamedBlock {

	private final Linear qkv;

	private final Linear proj;

	private final int numHeads;

	private final long dim;

	private final boolean maskedKeyBias;

	private final RotaryEmbedding rope;

	public Attention(long dim, int numHeads, boolean qkvBias) {
		this(dim, numHeads, qkvBias, false, null);
	}

	/**
	 * @param maskedKeyBias whether the key third of the qkv bias is switched off
	 * @param rope the rotary embedding, null for none
	 */
	public Attention(long dim, int numHeads, boolean qkvBias, boolean maskedKeyBias, RotaryEmbedding rope) {
		this.qkv = addNamedChild("qkv", new Linear(dim, 3 * dim, qkvBias));
		this.proj = addNamedChild("proj", new Linear(dim, dim, true));
		this.numHeads = numHeads;
		this.dim = dim;
		this.maskedKeyBias = maskedKeyBias && qkvBias;
		this.rope = rope;
	}

	/**
	 * Inputs: the tokens {@code (B, T, D)}, followed by the rotary sine and cosine tables
	 * {@code [N, hd]} of the last N (patch) tokens when the model has rotary embedding.
	 */
	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDList heads = heads(store, inputs.get(0), training);
		NDArray q = heads.get(0);
		NDArray k = heads.get(1);
		if (this.rope != null) {
			q = this.rope.apply(q, inputs.get(1), inputs.get(2));
			k = this.rope.apply(k, inputs.get(1), inputs.get(2));
		}
		q = GraphConstants.times(q, scale(q));
		// (B, H, T, hd) x (B, H, hd, T) -> (B, H, T, T)
		NDArray weights = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
		return new NDList(project(store, weights.matMul(heads.get(2)), training));
	}

	/** Queries, keys and values per head, each {@code (B, H, T, hd)}. */
	public NDList heads(ParameterStore store, NDArray x, boolean training) {
		long batch = x.getShape().get(0);
		long tokens = x.getShape().get(1);
		long dim = x.getShape().get(2);
		// (B, T, 3D) -> (B, T, 3, H, hd) -> (3, B, H, T, hd)
		NDArray projected = this.maskedKeyBias ? this.qkv.forwardWithBiasMask(store, x, training, keyBiasMask(x))
				: this.qkv.forward(store, x, training);
		NDArray qkvHeads = projected.reshape(batch, tokens, 3, this.numHeads, dim / this.numHeads)
			.transpose(2, 0, 3, 1, 4);
		return new NDList(qkvHeads.get(0), qkvHeads.get(1), qkvHeads.get(2));
	}

	/**
	 * Ones for the query and value thirds of the qkv bias, zeros for the key third, in
	 * the type of the tokens {@code x}.
	 */
	private NDArray keyBiasMask(NDArray x) {
		float[] mask = new float[(int) (3 * this.dim)];
		Arrays.fill(mask, 0, (int) this.dim, 1f);
		Arrays.fill(mask, (int) (2 * this.dim), mask.length, 1f);
		return GraphConstants.of(x.getManager(), mask, new Shape(mask.length), x.getDataType());
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
