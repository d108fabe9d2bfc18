package ai.phreg.model;

import java.nio.ByteBuffer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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
		try (NDArray source = target.getManager().create(values, target.getShape())) {
			write(target, new NDIndex("..."), source);
		}
	}

	/**
	 * Copies float32 values in native byte order, from {@code values}' position to its
	 * limit, into rows {@code [firstRow, firstRow + n)} of {@code target}'s first axis,
	 * in place; {@code n} is however many whole rows the values make. The engine reads a
	 * direct buffer where it lies, so nothing but {@code target} holds a copy.
	 * @throws IllegalArgumentException when the values are not whole rows inside target
	 */
	public static void copyRowsInto(NDArray target, long firstRow, ByteBuffer values) {
		Shape shape = target.getShape();
		long rowCount = (shape.dimension() == 0) ? 1 : shape.get(0);
		long rowLength = target.size() / rowCount;
		long count = values.remaining() / Float.BYTES;
		long rows = count / rowLength;
		if (values.remaining() % Float.BYTES != 0 || count % rowLength != 0 || firstRow < 0
				|| firstRow + rows > rowCount) {
			throw new IllegalArgumentException(count + " values from row " + firstRow + " are not whole rows inside "
					+ "an array of shape " + shape);
		}
		Shape pieceShape = (rows == rowCount) ? shape : new Shape(rows).addAll(shape.slice(1));
		NDIndex index = (rows == rowCount) ? new NDIndex("...") : new NDIndex("{}:{}", firstRow, firstRow + rows);
		try (NDArray source = target.getManager().create(values, pieceShape, DataType.FLOAT32)) {
			write(target, index, source);
		}
	}

	private static void write(NDArray target, NDIndex index, NDArray source) {
		try (NDArray alias = target.stopGradient()) {
			alias.set(index, source);
		}
	}

}
