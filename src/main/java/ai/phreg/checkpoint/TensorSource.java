package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A tensor of a checkpoint with its shape known up front and its values read only when a
 * parameter is filled, and then range by range, so a multi-gigabyte checkpoint never sits
 * in memory twice.
 */
public interface TensorSource {

	long[] shape();

	/** The checkpoint key(s) the values come from, for messages. */
	String name();

	/**
	 * Writes the row-major float32 values from element {@code from} on into
	 * {@code target}, as many as it has room for, whatever the stored dtype; its position
	 * ends at its limit.
	 */
	void readInto(long from, FloatBuffer target) throws IOException;

	/** All row-major values as float32, whatever the stored dtype. */
	default float[] read() throws IOException {
		float[] values = new float[Math.toIntExact(elementCount())];
		readInto(0, FloatBuffer.wrap(values));
		return values;
	}

	default long elementCount() {
		return Arrays.stream(shape()).reduce(1, Math::multiplyExact);
	}

	/** The same values viewed with another shape of the same element count. */
	default TensorSource reshaped(long... newShape) {
		long count = Arrays.stream(newShape).reduce(1, Math::multiplyExact);
		if (count != elementCount()) {
			throw new IllegalArgumentException(
					"Cannot view " + Arrays.toString(shape()) + " as " + Arrays.toString(newShape));
		}
		TensorSource source = this;
		return new TensorSource() {
			@Override
			public long[] shape() {
				return newShape.clone();
			}

			@Override
			public String name() {
				return source.name();
			}

			@Override
			public void readInto(long from, FloatBuffer target) throws IOException {
				source.readInto(from, target);
			}
		};
	}

	/**
	 * Stacks tensors along their first axis, as Hugging Face's separate query, key and
	 * value projections become one fused qkv projection.
	 */
	static TensorSource concatRows(List<TensorSource> parts) {
		long[] first = parts.get(0).shape();
		long rows = 0;
		for (TensorSource part : parts) {
			long[] shape = part.shape();
			if (shape.length != first.length || !Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length),
					Arrays.copyOfRange(first, 1, first.length))) {
				throw new IllegalArgumentException("Cannot stack " + Arrays.toString(shape) + " onto "
						+ Arrays.toString(first) + ": trailing dimensions differ");
			}
			rows += shape[0];
		}
		long[] stacked = first.clone();
		stacked[0] = rows;
		return new TensorSource() {
			@Override
			public long[] shape() {
				return stacked.clone();
			}

			@Override
			public String name() {
				return parts.stream().map(TensorSource::name).collect(Collectors.joining("+"));
			}

			@Override
			public void readInto(long from, FloatBuffer target) throws IOException {
				if (from < 0 || from + target.remaining() > elementCount()) {
					throw new IllegalArgumentException("elements [" + from + ", " + (from + target.remaining())
							+ ") are not inside " + name() + " " + Arrays.toString(stacked));
				}
				long next = from;
				long partStart = 0;
				for (TensorSource part : parts) {
					long partEnd = partStart + part.elementCount();
					if (target.hasRemaining() && next < partEnd) {
						int count = (int) Math.min(target.remaining(), partEnd - next);
						part.readInto(next - partStart, target.slice().limit(count));
						target.position(target.position() + count);
						next += count;
					}
					partStart = partEnd;
				}
			}
		};
	}

	/**
	 * Zeros standing in for a tensor a format leaves out because it is always zero, such
	 * as the key bias of models without one.
	 */
	static TensorSource zeros(String name, long... shape) {
		return new TensorSource() {
			@Override
			public long[] shape() {
				return shape.clone();
			}

			@Override
			public String name() {
				return name;
			}

			@Override
			public void readInto(long from, FloatBuffer target) {
				while (target.hasRemaining()) {
					target.put(0f);
				}
			}
		};
	}

	/**
	 * Rows {@code [from, to)} of the first axis, as transformers' packed
	 * {@code in_proj_weight} holds the query and the key-value projections of SigLIP's
	 * pooling head.
	 */
	static TensorSource rows(TensorSource source, long from, long to) {
		long[] whole = source.shape();
		if (from < 0 || to > whole[0] || from >= to) {
			throw new IllegalArgumentException(
					"Rows [" + from + ", " + to + ") are not inside " + Arrays.toString(whole));
		}
		long[] part = whole.clone();
		part[0] = to - from;
		long rowLength = source.elementCount() / whole[0];
		return new TensorSource() {
			@Override
			public long[] shape() {
				return part.clone();
			}

			@Override
			public String name() {
				return source.name() + "[" + from + ":" + to + "]";
			}

			@Override
			public void readInto(long element, FloatBuffer target) throws IOException {
				source.readInto(from * rowLength + element, target);
			}
		};
	}

}
