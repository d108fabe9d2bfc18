package ai.phreg.metrics;

import java.util.OptionalDouble;

/**
 * A fixed-bin histogram of token norms and the threshold that separates artifact tokens
 * from normal ones.
 * <p>
 * Pooled over a set of images, the norms of a model with artifacts are bimodal: a large
 * mode of normal tokens and a small, far mode of artifact tokens about ten times higher.
 * {@link #valleyThreshold()} finds the valley between them so the outlier figures need no
 * hand-tuned, model-specific threshold. A model without artifacts has one mode and no
 * valley; it then reports none rather than inventing a split, which is why this is not
 * Otsu's method (that always splits).
 * <p>
 * Bins are equal in norm ({@link Spacing#LINEAR}) or in log-norm
 * ({@link Spacing#LOGARITHMIC}). Logarithmic bins suit the valley search: artifacts are a
 * multiplicative outlier, and the right-skewed tail of normal norms, which in linear bins
 * thins out into sparse bins that look like small modes, becomes symmetric. Values
 * outside {@code [min, max]}, NaN, and for logarithmic bins zero or negative values are
 * not counted; {@code max} itself falls in the last bin.
 */
public final class NormHistogram {

	/** How bin edges are spaced. */
	public enum Spacing {

		/** Equal widths in norm. */
		LINEAR,

		/** Equal widths in log-norm: edges form a geometric sequence. */
		LOGARITHMIC

	}

	/**
	 * Smoothing kernel, in bins: the binomial approximation of a Gaussian of
	 * {@code sigma = 1} bin. It removes single-bin jitter, which would otherwise make
	 * every other bin a mode, without filling a gap of a few bins.
	 */
	private static final double[] KERNEL = { 1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0 };

	/**
	 * A secondary mode counts only if the smoothed histogram dips to at most this
	 * fraction of its peak on the way from the dominant mode: a shoulder or a ripple is
	 * not a second population.
	 */
	private static final double MAX_DIP_RATIO = 0.5;

	/**
	 * A secondary mode counts only if at least this fraction of the samples lies above
	 * the valley. Sampling noise in the thin tail of a single population leaves isolated
	 * non-empty bins behind empty ones; they hold a few samples, while artifact tokens
	 * are about 1-3% of all tokens in the models that have them.
	 */
	private static final double MIN_MODE_FRACTION = 0.005;

	/**
	 * A secondary mode counts only if at least this many samples lie above the valley,
	 * for the same reason: in a sample of a few hundred, 0.5% is one or two tail
	 * stragglers. Pool the norms of several images to find a valley reliably.
	 */
	private static final int MIN_MODE_COUNT = 5;

	private final Spacing spacing;

	private final double min;

	private final double max;

	// The range in transformed units: norm, or log-norm.
	private final double low;

	private final double high;

	private final long[] counts;

	private final long total;

	private NormHistogram(Spacing spacing, double min, double max, long[] counts) {
		this.spacing = spacing;
		this.min = min;
		this.max = max;
		this.low = forward(spacing, min);
		this.high = forward(spacing, max);
		this.counts = counts;
		long sum = 0;
		for (long count : counts) {
			sum += count;
		}
		this.total = sum;
	}

	/**
	 * Bins values over their own range, the smallest to the largest value that can be
	 * counted. A sample of one repeated value gets a range of one unit (one log unit)
	 * centred on it, so the histogram stays defined.
	 * @param values the values, typically pooled token norms
	 * @param bins number of bins; 50 to 100 suit the valley search
	 * @param spacing how edges are spaced
	 * @return the histogram
	 */
	public static NormHistogram of(float[] values, int bins, Spacing spacing) {
		double min = Double.POSITIVE_INFINITY;
		double max = Double.NEGATIVE_INFINITY;
		for (float value : values) {
			if (countable(spacing, value)) {
				min = Math.min(min, value);
				max = Math.max(max, value);
			}
		}
		if (min > max) {
			throw new IllegalArgumentException(
					"No values to bin among " + values.length + " on a " + spacing + " scale");
		}
		if (min == max) {
			double centre = forward(spacing, min);
			return of(values, bins, spacing, inverse(spacing, centre - 0.5), inverse(spacing, centre + 0.5));
		}
		return of(values, bins, spacing, min, max);
	}

	/**
	 * Bins values over a given range, so that histograms of teacher and student line up.
	 * @param values the values
	 * @param bins number of bins
	 * @param spacing how edges are spaced
	 * @param min lower edge of the first bin, positive for logarithmic bins
	 * @param max upper edge of the last bin, inclusive
	 * @return the histogram
	 */
	public static NormHistogram of(float[] values, int bins, Spacing spacing, double min, double max) {
		if (bins <= 0) {
			throw new IllegalArgumentException("Bin count must be positive, got " + bins);
		}
		double low = forward(spacing, min);
		double high = forward(spacing, max);
		if (!(Double.isFinite(low) && Double.isFinite(high) && low < high)) {
			throw new IllegalArgumentException(
					"Range must be finite and increasing on a " + spacing + " scale, got " + min + ".." + max);
		}
		long[] counts = new long[bins];
		double scale = bins / (high - low);
		for (float value : values) {
			if (value >= min && value <= max && countable(spacing, value)) {
				counts[Math.min(bins - 1, (int) ((forward(spacing, value) - low) * scale))]++;
			}
		}
		return new NormHistogram(spacing, min, max, counts);
	}

	/**
	 * Returns the count of every bin.
	 * @return a copy of the counts, lowest bin first
	 */
	public long[] counts() {
		return this.counts.clone();
	}

	/**
	 * Returns the bin edges.
	 * @return one more edge than bins, increasing, exactly {@code min} first and
	 * {@code max} last
	 */
	public double[] edges() {
		double[] edges = new double[this.counts.length + 1];
		edges[0] = this.min;
		for (int i = 1; i < this.counts.length; i++) {
			edges[i] = inverse(this.spacing, position(i));
		}
		edges[this.counts.length] = this.max;
		return edges;
	}

	/**
	 * Returns the number of values counted.
	 * @return the sum of the counts
	 */
	public long total() {
		return this.total;
	}

	/**
	 * Finds the norm threshold at the valley between the normal tokens and a second,
	 * higher population of artifact tokens.
	 * <p>
	 * The counts are smoothed with a 5-bin binomial kernel. The dominant mode is the
	 * highest smoothed bin. A secondary mode is any local maximum above it that is
	 * separated from it by a dip to at most 0.5 of its own height, with at least 0.5% of
	 * the counted samples and at least 5 samples above that dip. Of the qualifying
	 * secondary modes the highest wins (the nearest on a tie); the valley is the lowest
	 * smoothed bin between it and the dominant mode, widened to the run of equal bins
	 * that starts there (a clean gap between populations is a run of empty bins), and the
	 * threshold is the centre of that run on the histogram's scale: the midpoint for
	 * linear bins, the geometric mean of its edges for logarithmic ones. Only modes above
	 * the dominant one are considered because artifacts are high-norm tokens and the
	 * threshold is used as "outlier above".
	 * @return the threshold, or empty when the histogram shows a single population
	 */
	public OptionalDouble valleyThreshold() {
		double[] smooth = smoothed();
		int dominant = 0;
		for (int i = 1; i < smooth.length; i++) {
			if (smooth[i] > smooth[dominant]) {
				dominant = i;
			}
		}
		double bestHeight = 0;
		OptionalDouble threshold = OptionalDouble.empty();
		for (int peak = dominant + 1; peak < smooth.length; peak++) {
			boolean localMaximum = smooth[peak] > smooth[peak - 1]
					&& (peak == smooth.length - 1 || smooth[peak] >= smooth[peak + 1]);
			if (!localMaximum || smooth[peak] <= bestHeight) {
				continue;
			}
			int valley = dominant;
			for (int i = dominant + 1; i < peak; i++) {
				if (smooth[i] < smooth[valley]) {
					valley = i;
				}
			}
			if (smooth[valley] > MAX_DIP_RATIO * smooth[peak]) {
				continue;
			}
			int valleyEnd = valley;
			while (valleyEnd + 1 < peak && smooth[valleyEnd + 1] == smooth[valley]) {
				valleyEnd++;
			}
			// Bins whose centre lies above the run's centre: the far side of the valley.
			long above = 0;
			for (int i = (valley + valleyEnd) / 2 + 1; i < this.counts.length; i++) {
				above += this.counts[i];
			}
			if (above >= MIN_MODE_COUNT && above >= MIN_MODE_FRACTION * this.total) {
				bestHeight = smooth[peak];
				threshold = OptionalDouble.of(inverse(this.spacing, (position(valley) + position(valleyEnd + 1)) / 2));
			}
		}
		return threshold;
	}

	private double[] smoothed() {
		int half = KERNEL.length / 2;
		double[] smooth = new double[this.counts.length];
		// Bins beyond the range count as empty rather than mirrored, so a lone outlier in
		// the last bin is not doubled into a mode.
		for (int i = 0; i < smooth.length; i++) {
			for (int k = -half; k <= half; k++) {
				int j = i + k;
				if (j >= 0 && j < this.counts.length) {
					smooth[i] += KERNEL[k + half] * this.counts[j];
				}
			}
		}
		return smooth;
	}

	// Edge of a bin in transformed units; the last edge is exact so max stays inclusive.
	private double position(int edge) {
		return (edge == this.counts.length) ? this.high : this.low + (this.high - this.low) * edge / this.counts.length;
	}

	private static boolean countable(Spacing spacing, float value) {
		return Float.isFinite(value) && (spacing == Spacing.LINEAR || value > 0);
	}

	private static double forward(Spacing spacing, double value) {
		return (spacing == Spacing.LINEAR) ? value : Math.log(value);
	}

	private static double inverse(Spacing spacing, double value) {
		return (spacing == Spacing.LINEAR) ? value : Math.exp(value);
	}

}
