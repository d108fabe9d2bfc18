package ai.phreg.model;

import java.util.function.UnaryOperator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A pre-norm transformer block: {@code x + ls1(attn(norm1(x)))}, then
 * {@code x + ls2(mlp(norm2(x)))}; the LayerScales are identity when the model has none.
 * Inputs are the tokens, followed by the rotary tables when the model has rotary
 * embedding.
 */
public final class TransformerBlock extends NamedBlock {

	private final LayerNormalization norm1;

	private final Attention attn;

	private final LayerScale ls1;

	private final LayerNormalization norm2;

	private final FeedForwardBlock mlp;

	private final LayerScale ls2;

	public TransformerBlock(ViTConfig config) {
		int dim = config.embedDim();
		this.norm1 = addNamedChild("norm1", new LayerNormalization(dim, config.layerNormEps()));
		this.attn = addNamedChild("attn",
				new Attention(dim, config.numHeads(), config.qkvBias(), config.maskedKeyBias(), config.rope()));
		this.ls1 = config.layerScale() ? addNamedChild("ls1", new LayerScale(dim)) : null;
		this.norm2 = addNamedChild("norm2", new LayerNormalization(dim, config.layerNormEps()));
		this.mlp = addNamedChild("mlp",
				config.feedForward().create(dim, config.mlpHiddenDim(), config.activation(), config.layerNormEps()));
		this.ls2 = config.layerScale() ? addNamedChild("ls2", new LayerScale(dim)) : null;
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		return new NDList(forward(store, inputs, training, UnaryOperator.identity()));
	}

	/**
	 * The block's output tokens, the MLP's hidden activations passed through
	 * {@code onMlpHidden} on the way.
	 */
	public NDArray forward(ParameterStore store, NDList inputs, boolean training, UnaryOperator<NDArray> onMlpHidden) {
		NDArray x = inputs.get(0);
		// The rotary tables, when present, travel with the tokens to the attention.
		NDList attentionInputs = new NDList(this.norm1.forward(store, x, training));
		attentionInputs.addAll(inputs.subNDList(1));
		NDArray attended = scaled(store, this.ls1,
				this.attn.forward(store, attentionInputs, training).singletonOrThrow(), training);
		x = x.add(attended);
		NDArray fed = scaled(store, this.ls2,
				this.mlp.forward(store, this.norm2.forward(store, x, training), training, onMlpHidden), training);
		return x.add(fed);
	}

	/**
	 * The LayerNorm before attention, for heads that replace the block's own computation.
	 */
	public LayerNormalization norm1() {
		return this.norm1;
	}

	public Attention attention() {
		return this.attn;
	}

	private static NDArray scaled(ParameterStore store, LayerScale scale, NDArray branch, boolean training) {
		return (scale != null) ? scale.forward(store, branch, training) : branch;
	}

}
