package ai.phreg.checkpoint;

/**
 * What both DINOv3 layouts, the original repository's and Hugging Face's, share. Read
 * only for now (see {@link ReadOnlyCodec}).
 */
abstract class DinoV3Family extends ReadOnlyCodec {

	/** DINOv3's LayerNorms ({@code layernormbf16}) use eps 1e-5. */
	static final float LAYER_NORM_EPS = 1e-5f;

	/** The RoPE base every DINOv3 hub model uses. */
	static final double ROPE_BASE = 100;

	/**
	 * The native input of the hub models, which no weight tells: there is no position
	 * embedding.
	 */
	static final int IMAGE_SIZE = 224;

	@Override
	final void ignoreUnused(KeyLedger ledger) {
		ledger.carry(maskTokenKey(), CarriedTensors.MASK_TOKEN,
				"mask token of masked-image pretraining, unused at inference");
	}

	abstract String maskTokenKey();

}
