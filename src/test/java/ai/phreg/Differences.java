package ai.phreg;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Element-wise comparisons of float arrays, in double precision, for tolerance checks in
 * tests.
 */
public final class Differences {

	private Differences() {
	}

	/**
	 * The largest {@code |actual[i] - expected[i]|}; the arrays must have the same
	 * length.
	 */
	public static double maxAbsDiff(float[] actual, float[] expected) {
		assertThat(actual).hasSameSizeAs(expected);
		double max = 0;
		for (int i = 0; i < expected.length; i++) {
			max = Math.max(max, Math.abs((double) actual[i] - expected[i]));
		}
		return max;
	}

	/** The largest {@code |values[i]|}. */
	public static double maxAbs(float[] values) {
		double max = 0;
		for (float value : values) {
			max = Math.max(max, Math.abs(value));
		}
		return max;
	}

}
