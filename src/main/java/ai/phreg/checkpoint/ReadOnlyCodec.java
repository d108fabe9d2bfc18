package ai.phreg.checkpoint;

import java.util.List;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * A family phreg reads but does not write: exports to it are refused with the reason
 * (through {@link #unsupported}) before anything is written, never approximated, and a
 * job asking for it is refused at submission.
 */
abstract class ReadOnlyCodec extends FamilyCodec {

	/**
	 * No layout: {@link #unsupported} refuses every export before files are chosen, so
	 * this is never asked for any.
	 */
	ReadOnlyCodec() {
		super((target) -> {
			throw new UnsupportedOperationException("this family's checkpoints are not written");
		});
	}

	/**
	 * Why this layout is not written, and what to export as instead where there is an
	 * alternative.
	 */
	abstract String notWritten();

	@Override
	final List<String> unsupported(ViTConfig config) {
		return List.of(notWritten());
	}

	@Override
	final void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		throw new UnsupportedOperationException(notWritten());
	}

	@Override
	final ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		throw new UnsupportedOperationException(notWritten());
	}

}
