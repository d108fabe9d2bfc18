package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Constants that may enter an autograd graph. DJL backs an array created from Java data
 * by that data's direct buffer, and its {@code mul(Number)}, {@code div(Number)} and
 * friends wrap the number in such an array and close it right away. Autograd keeps the
 * constant for the backward pass, so once a garbage collection frees the buffer,
 * {@code backward()} reads freed memory: gradients came out as garbage (moments of 1e28,
 * or skipped as non-finite) in about one fresh process in eight, and in every run under
 * frequent collections, which made runs and resumes differ. Arrays made here own libtorch
 * memory instead, which the graph keeps alive for as long as it needs it.
 */
public final class GraphConstants {

	private GraphConstants() {
	}

	/** {@code array · factor}, safe to differentiate. */
	public static NDArray times(NDArray array, float factor) {
		try (NDArray constant = array.getManager().full(new Shape(), factor, array.getDataType())) {
			return array.mul(constant);
		}
	}

	/** Row-major float32 {@code values} in memory libtorch owns. */
	public static NDArray of(NDManager manager, float[] values, Shape shape) {
		try (NDArray javaBacked = manager.create(values, shape)) {
			return javaBacked.duplicate();
		}
	}

	/**
	 * Row-major {@code values} as an array of {@code type} in memory libtorch owns: the
	 * constants of a graph that runs in a half format (a teacher in bfloat16), which
	 * libtorch would otherwise promote back to float32.
	 */
	public static NDArray of(NDManager manager, float[] values, Shape shape, DataType type) {
		if (type == DataType.FLOAT32) {
			return of(manager, values, shape);
		}
		try (NDArray javaBacked = manager.create(values, shape)) {
			// a conversion to another type always writes new memory
			return javaBacked.toType(type, false);
		}
	}

}
