package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * SigLIP's multi-head attention pooling (timm {@code AttentionPoolLatent}, transformers
 * {@code SiglipMultiheadAttentionPoolingHead}): one learned probe attends over every
 * token, {@code o = proj(attn(probe, X, X))}, then {@code pooled = o + mlp(norm(o))}.
 * Parameter names follow timm ({@code attn_pool.latent}, {@code .q}, {@code .kv},
 * {@code .proj}, {@code .norm}, {@code .mlp}).
 */
public final class MapHead extends NamedBlock {

	private final Parameter latent;

	private final Linear q;

	private final Linear kv;

	private final Linear proj;

	private final LayerNormalization norm;

	private final Mlp mlp;

	private final int numHeads;

	MapHead(ViTConfig config) {
		int dim = config.embedDim();
		this.latent = addWeight("latent", new Shape(1, 1, dim));
		this.q = addNamedChild("q", new Linear(dim, dim, true));
		this.kv = addNamedChild("kv", new Linear(dim, 2L * dim, true));
		this.proj = addNamedChild("proj", new Linear(dim, dim, true));
		this.norm = addNamedChild("norm", new LayerNormalization(dim, config.layerNormEps()));
		this.mlp = addNamedChild("mlp", new Mlp(dim, config.mlpHiddenDim(), config.activation()));
		this.numHeads = config.numHeads();
	}

	/**
	 * The attention output {@code o (B, 1, D)} of the probe over tokens
	 * {@code (B, N, D)}.
	 */
	public NDArray attend(ParameterStore store, NDArray tokens, boolean training) {
		Shape shape = tokens.getShape();
		long batch = shape.get(0);
		long count = shape.get(1);
		long dim = shape.get(2);
		long headDim = dim / this.numHeads;
		NDArray probe = value(store, this.latent, tokens, training);
		// (1, 1, D) -> (1, H, 1, hd), broadcast over the batch
		NDArray query = this.q.forward(store, probe, training).reshape(1, this.numHeads, 1, headDim);
		// (B, N, 2D) -> (B, N, 2, H, hd) -> (2, B, H, N, hd)
		NDArray keysValues = this.kv.forward(store, tokens, training)
			.reshape(batch, count, 2, this.numHeads, headDim)
			.transpose(2, 0, 3, 1, 4);
		NDArray scaled = GraphConstants.times(query, (float) (1.0 / Math.sqrt(headDim)));
		NDArray weights = scaled.matMul(keysValues.get(0).transpose(0, 1, 3, 2)).softmax(-1);
		// (B, H, 1, hd) -> (B, 1, H, hd) -> (B, 1, D)
		NDArray attended = weights.matMul(keysValues.get(1)).transpose(0, 2, 1, 3).reshape(batch, 1, dim);
		return this.proj.forward(store, attended, training);
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		NDArray attended = attend(store, inputs.singletonOrThrow(), training);
		NDArray pooled = attended.add(this.mlp.forward(store, this.norm.forward(store, attended, training), training));
		return new NDList(pooled.get(":, 0, :"));
	}

}
