package ai.phreg.checkpoint;

/**
 * What both DINOv3 layouts, the original repository's (read only, see
 * {@link ReadOnlyCodec}) and Hugging Face's (read and written), share.
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

}
