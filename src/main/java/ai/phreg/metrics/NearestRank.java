package ai.phreg.metrics;

/**
 * The nearest-rank percentile, the one definition used in this package: the {@code p}-th
 * percentile of {@code n} values is the {@code ceil(p / 100 * n)}-th smallest (at least
 * the first). It is always one of the values, needs no interpolation convention, and "at
 * least p% of the values are at most it" holds exactly.
 */
final class NearestRank {

	private NearestRank() {
	}

	/**
	 * Returns the 1-based rank of the {@code p}-th percentile.
	 * @param count number of values, positive
	 * @param percent the percentile, 0 to 100
	 * @return {@code ceil(percent / 100 * count)}, clamped to {@code [1, count]}
	 */
	static int rank(int count, double percent) {
		if (count <= 0 || !(percent >= 0 && percent <= 100)) {
			throw new IllegalArgumentException(
					"Need values and a percentile in [0, 100], got " + count + " values and " + percent);
		}
		// percent * count is exact for integral percentiles, so a whole-number rank
		// is not pushed up by a rounding error in percent / 100.
		return Math.max(1, (int) Math.ceil(percent * count / 100));
	}

}
