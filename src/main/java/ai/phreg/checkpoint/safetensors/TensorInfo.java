package ai.phreg.checkpoint.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One validated header entry. {@code begin} and {@code end} are byte offsets relative to
 * the start of the data section, as in the file, so they can be compared across files
 * with different header lengths.
 *
 * @param name tensor name
 * @param dtype element type
 * @param shape dimensions, row-major; empty for a scalar (a defensive copy)
 * @param begin first byte, inclusive
 * @param end last byte, exclusive
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

	public TensorInfo {
		Objects.requireNonNull(name, "name");
		Objects.requireNonNull(dtype, "dtype");
		shape = shape.clone();
		Shapes.elementCount(shape);
		if (begin < 0 || end < begin) {
			throw new IllegalArgumentException(
					"invalid byte range [" + begin + ", " + end + ") for tensor '" + name + "'");
		}
	}

	/** A copy, so a caller cannot corrupt the reader's view of the file. */
	@Override
	public long[] shape() {
		return this.shape.clone();
	}

	public long elementCount() {
		return Shapes.elementCount(this.shape);
	}

	public long byteLength() {
		return this.end - this.begin;
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof TensorInfo that && this.name.equals(that.name) && this.dtype == that.dtype
				&& Arrays.equals(this.shape, that.shape) && this.begin == that.begin && this.end == that.end;
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.name, this.dtype, Arrays.hashCode(this.shape), this.begin, this.end);
	}

	@Override
	public String toString() {
		return this.name + " " + this.dtype + Arrays.toString(this.shape) + " @[" + this.begin + ", " + this.end + ")";
	}

}
