package ai.phreg.checkpoint.safetensors;

import java.util.Arrays;

/**
 * Shape arithmetic shared by headers and in-memory tensors, kept in one place so that the
 * overflow rules of the reader and the writer cannot drift apart.
 */
final class Shapes {

	private Shapes() {
	}

	/**
	 * Product of the dimensions (1 for a scalar).
	 * @throws IllegalArgumentException on a negative dimension or if the product
	 * overflows a long
	 */
	static long elementCount(long[] shape) {
		long count = 1;
		for (long dim : shape) {
			if (dim < 0) {
				throw new IllegalArgumentException("negative dimension " + dim + " in shape " + Arrays.toString(shape));
			}
			try {
				count = Math.multiplyExact(count, dim);
			}
			catch (ArithmeticException ex) {
				throw new IllegalArgumentException(
						"absurd shape " + Arrays.toString(shape) + ": element count overflows a long");
			}
		}
		return count;
	}

	/**
	 * Bytes needed for the shape in the given type.
	 * @throws IllegalArgumentException as {@link #elementCount} or if the byte count
	 * overflows a long
	 */
	static long byteCount(long[] shape, DType dtype) {
		try {
			return Math.multiplyExact(elementCount(shape), (long) dtype.byteSize());
		}
		catch (ArithmeticException ex) {
			throw new IllegalArgumentException(
					"absurd shape " + Arrays.toString(shape) + ": byte count of " + dtype + " overflows a long");
		}
	}

}
