package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * Writing host values into an existing array (parameters, optimizer moments) without
 * DJL's {@code NDArray.set(Buffer)}: its native side still opens libtorch's deprecated
 * {@code AutoNonVariableTypeMode} guard, which prints a deprecation warning to stderr
 * that no log level reaches (libtorch reads {@code TORCH_CPP_LOG_LEVEL} only when Python
 * initialises it). An indexed copy of a full slice writes the same values in place,
 * through a detached alias of the same storage: libtorch refuses an in-place write into a
 * leaf that requires grad (a trainable parameter being restored from a checkpoint).
 */
public final class ArrayValues {

	private ArrayValues() {
	}

	/**
	 * Copies row-major {@code values} into {@code target}, in place.
	 * @throws IllegalArgumentException when the counts differ
	 */
	public static void copyInto(NDArray target, float[] values) {
		if (values.length != target.size()) {
			throw new IllegalArgumentException("An array of shape " + target.getShape() + " needs " + target.size()
					+ " values, got " + values.length);
		}
		try (NDArray source = target.getManager().create(values, target.getShape());
				NDArray alias = target.stopGradient()) {
			alias.set(new NDIndex("..."), source);
		}
	}

}
