package ai.phreg.checkpoint.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor to be written: raw little-endian row-major bytes plus what the header needs.
 * Holding a {@link ByteBuffer} rather than an array lets a converter pass a region that
 * {@link SafetensorsReader#readBytes} mapped from another file straight through, without
 * copying it into the heap.
 *
 * @param name tensor name (not {@code __metadata__})
 * @param dtype element type
 * @param shape dimensions, row-major; empty for a scalar (a defensive copy)
 * @param bytes exactly {@code elementCount * dtype.byteSize()} remaining bytes; held as a
 * read-only little-endian view from the position given, so later changes to the caller's
 * position or limit do not affect it
 */
public record TensorData(String name, DType dtype, long[] shape, ByteBuffer bytes) {

	public TensorData {
		Objects.requireNonNull(name, "name");
		Objects.requireNonNull(dtype, "dtype");
		Objects.requireNonNull(bytes, "bytes");
		if (SafetensorsHeader.METADATA_KEY.equals(name)) {
			throw new IllegalArgumentException("'" + name + "' is reserved for the header metadata");
		}
		shape = shape.clone();
		long expected = Shapes.byteCount(shape, dtype);
		if (bytes.remaining() != expected) {
			throw new IllegalArgumentException("tensor '" + name + "' " + dtype + Arrays.toString(shape) + " needs "
					+ expected + " bytes but " + bytes.remaining() + " were given");
		}
		bytes = bytes.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
	}

	/**
	 * Encodes float values in a floating-point type; F16 and BF16 round to nearest even.
	 * @param name tensor name
	 * @param shape dimensions whose product equals {@code values.length}
	 * @param values row-major values
	 * @param dtype F32, F16, BF16 or F64
	 * @return the encoded tensor
	 */
	public static TensorData ofFloats(String name, long[] shape, float[] values, DType dtype) {
		if (!dtype.isFloatingPoint()) {
			throw new IllegalArgumentException(
					"tensor '" + name + "': ofFloats needs a floating-point dtype, not " + dtype + "; use ofInts");
		}
		ByteBuffer buffer = allocate(name, shape, values.length, dtype);
		switch (dtype) {
			case F32 -> buffer.asFloatBuffer().put(values);
			case F64 -> {
				for (float value : values) {
					buffer.putDouble(value);
				}
			}
			case F16 -> {
				for (float value : values) {
					buffer.putShort(HalfFloats.floatToHalf(value));
				}
			}
			case BF16 -> {
				for (float value : values) {
					buffer.putShort(HalfFloats.floatToBfloat16(value));
				}
			}
		}
		buffer.rewind();
		return new TensorData(name, dtype, shape, buffer);
	}

	/**
	 * Encodes int values in an integer type, refusing values the type cannot hold rather
	 * than silently wrapping them.
	 * @param name tensor name
	 * @param shape dimensions whose product equals {@code values.length}
	 * @param values row-major values
	 * @param dtype I32, I64, I16, I8, U8 (0..255) or BOOL (0 or 1)
	 * @return the encoded tensor
	 */
	public static TensorData ofInts(String name, long[] shape, int[] values, DType dtype) {
		if (dtype.isFloatingPoint()) {
			throw new IllegalArgumentException(
					"tensor '" + name + "': ofInts needs an integer dtype, not " + dtype + "; use ofFloats");
		}
		ByteBuffer buffer = allocate(name, shape, values.length, dtype);
		for (int i = 0; i < values.length; i++) {
			int value = values[i];
			switch (dtype) {
				case I64 -> buffer.putLong(value);
				case I32 -> buffer.putInt(value);
				case I16 ->
					buffer.putShort((short) checkRange(name, i, value, Short.MIN_VALUE, Short.MAX_VALUE, dtype));
				case I8 -> buffer.put((byte) checkRange(name, i, value, Byte.MIN_VALUE, Byte.MAX_VALUE, dtype));
				case U8 -> buffer.put((byte) checkRange(name, i, value, 0, 255, dtype));
				case BOOL -> buffer.put((byte) checkRange(name, i, value, 0, 1, dtype));
			}
		}
		buffer.rewind();
		return new TensorData(name, dtype, shape, buffer);
	}

	/** Number of elements, the product of the shape. */
	public long elementCount() {
		return Shapes.elementCount(this.shape);
	}

	/** A copy, so the header written later matches what was validated now. */
	@Override
	public long[] shape() {
		return this.shape.clone();
	}

	/**
	 * A fresh view each time, so reading it never disturbs the writer or other callers.
	 */
	@Override
	public ByteBuffer bytes() {
		return this.bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof TensorData that && this.name.equals(that.name) && this.dtype == that.dtype
				&& Arrays.equals(this.shape, that.shape) && this.bytes.equals(that.bytes);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.name, this.dtype, Arrays.hashCode(this.shape), this.bytes);
	}

	@Override
	public String toString() {
		return this.name + " " + this.dtype + Arrays.toString(this.shape) + " (" + this.bytes.remaining() + " bytes)";
	}

	private static ByteBuffer allocate(String name, long[] shape, int valueCount, DType dtype) {
		long elements = Shapes.elementCount(shape);
		if (elements != valueCount) {
			throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
					+ elements + " elements but " + valueCount + " values were given");
		}
		long bytes = elements * dtype.byteSize();
		if (bytes > Integer.MAX_VALUE - 8) {
			throw new IllegalArgumentException("tensor '" + name + "': " + bytes + " bytes of " + dtype
					+ " do not fit one ByteBuffer; build the TensorData from a mapped buffer instead");
		}
		return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
	}

	private static int checkRange(String name, int index, int value, int min, int max, DType dtype) {
		if (value < min || value > max) {
			throw new IllegalArgumentException("tensor '" + name + "': value " + value + " at index " + index
					+ " does not fit " + dtype + " (" + min + ".." + max + ")");
		}
		return value;
	}

}
