package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.List;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * What both DINOv3 layouts, the original repository's and Hugging Face's, share: read
 * only for now. Writing them back (with the buffers and config their loaders need) is
 * refused with a reason rather than approximated.
 */
abstract class DinoV3Family extends FamilyCodec {

	/** DINOv3's LayerNorms ({@code layernormbf16}) use eps 1e-5. */
	static final float LAYER_NORM_EPS = 1e-5f;

	/** The RoPE base every DINOv3 hub model uses. */
	static final double ROPE_BASE = 100;

	/**
	 * The native input of the hub models, which no weight tells: there is no position
	 * embedding.
	 */
	static final int IMAGE_SIZE = 224;

	private static final String NOT_WRITTEN = "writing DINOv3 checkpoints is not supported yet";

	@Override
	final void ignoreUnused(KeyLedger ledger) {
		ledger.carry(maskTokenKey(), CarriedTensors.MASK_TOKEN,
				"mask token of masked-image pretraining, unused at inference");
	}

	abstract String maskTokenKey();

	@Override
	final List<String> unsupported(ViTConfig config) {
		return List.of(NOT_WRITTEN);
	}

	@Override
	final CheckpointFiles files(Path target) {
		throw new UnsupportedOperationException(NOT_WRITTEN);
	}

	@Override
	final void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		throw new UnsupportedOperationException(NOT_WRITTEN);
	}

	@Override
	final ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		throw new UnsupportedOperationException(NOT_WRITTEN);
	}

}
