package ai.phreg.metrics;

import java.util.Arrays;

/**
 * Percentiles of per-token cosine similarity to a target, read in the direction of worse
 * agreement, like latency percentiles: {@code p90} is the cosine that 90% of tokens reach
 * or exceed. Artifact tokens are the 1-3% of tokens furthest from a denoised target, so
 * {@code p99} is the figure that moves when they are fixed; the 99th percentile of the
 * cosine itself would sit near 1 and show nothing.
 * <p>
 * Precisely, with the cosines sorted in decreasing order, {@code pX} is the
 * {@code ceil(X / 100 * n)}-th of them: the nearest-rank X-th percentile of the shortfall
 * {@code 1 - cos}, mapped back to a cosine.
 *
 * @param p50 the cosine at least half of the tokens reach
 * @param p90 the cosine at least 90% of the tokens reach
 * @param p99 the cosine at least 99% of the tokens reach
 */
public record CosinePercentiles(double p50, double p90, double p99) {

	/** The undefined result, for a model measured without a target. */
	public static final CosinePercentiles UNDEFINED = new CosinePercentiles(Double.NaN, Double.NaN, Double.NaN);

	/**
	 * Computes the percentiles of some cosines.
	 * @param cosines per-token cosines, of one image or pooled over many; not modified
	 * @return the percentiles, {@link #UNDEFINED} for no cosines
	 */
	public static CosinePercentiles of(float[] cosines) {
		if (cosines.length == 0) {
			return UNDEFINED;
		}
		float[] sorted = cosines.clone();
		Arrays.sort(sorted);
		return new CosinePercentiles(reached(sorted, 50), reached(sorted, 90), reached(sorted, 99));
	}

	// The rank-th largest value of an ascending array.
	private static double reached(float[] ascending, double percent) {
		return ascending[ascending.length - NearestRank.rank(ascending.length, percent)];
	}

}
