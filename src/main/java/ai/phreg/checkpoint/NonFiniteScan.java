package ai.phreg.checkpoint;

import java.nio.FloatBuffer;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.HalfFloats;

/** Counts NaN and infinite values tensor by tensor while weights are read or written. */
final class NonFiniteScan {

	private static final int LISTED = 10;

	private final Map<String, Long> counts = new TreeMap<>();

	/**
	 * Counts the values that are not finite once stored as {@code dtype}: beyond 65504, a
	 * finite float becomes an infinite F16.
	 */
	void scan(String tensor, float[] values, DType dtype) {
		scan(tensor, FloatBuffer.wrap(values), dtype);
	}

	/** Counts the values from {@code values}' position to its limit, leaving both. */
	void scan(String tensor, FloatBuffer values) {
		scan(tensor, values, DType.F32);
	}

	private void scan(String tensor, FloatBuffer values, DType dtype) {
		long count = 0;
		for (int i = values.position(); i < values.limit(); i++) {
			if (!finiteAs(values.get(i), dtype)) {
				count++;
			}
		}
		if (count > 0) {
			this.counts.merge(tensor, count, Long::sum);
		}
	}

	private static boolean finiteAs(float value, DType dtype) {
		return switch (dtype) {
			case F16 -> Float.isFinite(HalfFloats.halfToFloat(HalfFloats.floatToHalf(value)));
			case BF16 -> Float.isFinite(HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(value)));
			default -> Float.isFinite(value);
		};
	}

	/**
	 * Throws if any value was not finite.
	 * @param what what holds the values, e.g. "Checkpoint /models/x"
	 * @param advice what the user can do about it
	 */
	void check(String what, String advice) throws NonFiniteWeightsException {
		if (this.counts.isEmpty()) {
			return;
		}
		long total = this.counts.values().stream().mapToLong(Long::longValue).sum();
		String listed = this.counts.entrySet()
			.stream()
			.limit(LISTED)
			.map((entry) -> entry.getKey() + " (" + entry.getValue() + ")")
			.collect(Collectors.joining(", "));
		String more = (this.counts.size() > LISTED) ? " and " + (this.counts.size() - LISTED) + " more" : "";
		throw new NonFiniteWeightsException(what + " has " + total + " NaN or infinite values in " + this.counts.size()
				+ " tensors: " + listed + more + ". " + advice, this.counts);
	}

}
