package ai.phreg.checkpoint;

import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.Pooling;
import ai.phreg.model.RotaryEmbedding;
import ai.phreg.model.ViTConfig;

/**
 * What both DINOv3 layouts, the original repository's and Hugging Face's, share.
 */
final class DinoV3Family {

	/** DINOv3's LayerNorms ({@code layernormbf16}) use eps 1e-5. */
	static final float LAYER_NORM_EPS = 1e-5f;

	/** The RoPE base every DINOv3 hub model uses. */
	static final double ROPE_BASE = 100;

	/**
	 * The native input of the hub models, which no weight tells: there is no position
	 * embedding.
	 */
	static final int IMAGE_SIZE = 224;

	private DinoV3Family() {
	}

	/** Keeps the mask token of masked-image pretraining for exports. */
	static void carryMaskToken(KeyLedger ledger, String key) {
		ledger.carry(key, CarriedTensors.MASK_TOKEN, "mask token of masked-image pretraining, unused at inference");
	}

	/** What both DINOv3 layouts require of a model they hold. */
	static LayoutProblems rules(ViTConfig config) {
		RotaryEmbedding rope = config.rope();
		return new LayoutProblems()
			.require(rope != null && rope.style() == RotaryEmbedding.Style.DINOV3,
					"DINOv3 rotates the patch tokens with its own RoPE, this model has " + rope)
			.require(!config.positionEmbedding(), "DINOv3 has no learned position embedding, this model has one")
			.require(config.classToken(), "DINOv3 starts with a class token, this model has none")
			.require(config.finalNorm(), "DINOv3 ends with a LayerNorm, this model has none")
			.require(config.pooling() == Pooling.CLASS_TOKEN,
					"DINOv3 pools with its class token, this model with " + config.pooling())
			.require(config.patchBias(), "DINOv3's patch embedding has a bias, this model's has none")
			.require(!config.preNorm(), "DINOv3 has no LayerNorm before the first block, this model has one")
			.require(config.projectionDim() == 0, "DINOv3 has no output projection, this model has one")
			.require(config.feedForward() == FeedForward.MLP || config.feedForward() == FeedForward.SWIGLU,
					"DINOv3's feed-forward layer is an MLP or a SwiGLU, this model's is " + config.feedForward())
			.require(config.feedForward().gated() || config.activation() == MlpActivation.GELU,
					"DINOv3's MLP uses exact GELU, this model's uses " + config.activation());
	}

}
