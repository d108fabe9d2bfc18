package ai.phreg.metrics;

import java.util.Arrays;
import java.util.List;

/**
 * The figures that say how much a model suffers from artifact tokens, each a plain
 * function of dense features or of their norms.
 * <ul>
 * <li>Norm statistics (median, variance, max/median ratio, outlier fraction): artifact
 * tokens are norm outliers, about ten times the median.</li>
 * <li>The per-position outlier map: artifacts in real ViTs recur at the same grid
 * positions across images, which is also why PH-Reg's shifted views average them
 * away.</li>
 * <li>Neighbour cosine: a patch resembles its neighbours in a clean feature map, while an
 * artifact token carries no local information and breaks that.</li>
 * <li>Cosine to a target: how close a student comes to its denoised target, token by
 * token.</li>
 * </ul>
 * Cosines use PyTorch's {@code F.normalize} convention with the training loss's epsilon,
 * {@code a.b / (max(|a|, 1e-8) * max(|b|, 1e-8))}, so a zero vector has cosine 0 with
 * anything and the figures agree with the loss.
 */
public final class ArtifactMetrics {

	private static final double EPSILON = 1e-8;

	private ArtifactMetrics() {
	}

	/**
	 * Returns the fraction of values strictly above a threshold.
	 * @param norms token norms, of one image or pooled over many
	 * @param threshold the outlier threshold
	 * @return the fraction, NaN for an empty array
	 */
	public static double outlierFraction(float[] norms, double threshold) {
		long above = 0;
		for (float norm : norms) {
			if (norm > threshold) {
				above++;
			}
		}
		return (double) above / norms.length;
	}

	/**
	 * Maps, for every grid position, the fraction of images in which the token there is
	 * an outlier.
	 * @param norms token norms of each image, all on the same grid
	 * @param threshold the outlier threshold
	 * @return fractions in {@code [0, 1]} on that grid
	 */
	public static PatchGrid outlierMap(List<PatchGrid> norms, double threshold) {
		if (norms.isEmpty()) {
			throw new IllegalArgumentException("An outlier map needs at least one image");
		}
		PatchGrid first = norms.get(0);
		float[] map = new float[first.values().length];
		for (PatchGrid grid : norms) {
			if (grid.gridHeight() != first.gridHeight() || grid.gridWidth() != first.gridWidth()) {
				throw new IllegalArgumentException("All images must share one grid, got " + first + " and " + grid);
			}
			float[] values = grid.values();
			for (int i = 0; i < map.length; i++) {
				if (values[i] > threshold) {
					map[i]++;
				}
			}
		}
		for (int i = 0; i < map.length; i++) {
			map[i] /= norms.size();
		}
		return new PatchGrid(map, first.gridHeight(), first.gridWidth());
	}

	/**
	 * Returns the median, the mean of the two middle values for an even count.
	 * @param values the values, not modified
	 * @return the median, NaN for an empty array
	 */
	public static double median(float[] values) {
		if (values.length == 0) {
			return Double.NaN;
		}
		float[] sorted = values.clone();
		Arrays.sort(sorted);
		int middle = sorted.length / 2;
		return (sorted.length % 2 == 1) ? sorted[middle] : ((double) sorted[middle - 1] + sorted[middle]) / 2;
	}

	/**
	 * Returns the population variance (divided by the count, not the count minus one: the
	 * norms of an image are the whole population being described).
	 * @param values the values
	 * @return the variance, NaN for an empty array
	 */
	public static double variance(float[] values) {
		double mean = 0;
		for (float value : values) {
			mean += value;
		}
		mean /= values.length;
		// Two passes: subtracting the mean first keeps precision when the spread is small
		// next to the values.
		double sum = 0;
		for (float value : values) {
			sum += (value - mean) * (value - mean);
		}
		return sum / values.length;
	}

	/**
	 * Returns the largest value over the median, about 10 for a model with artifacts and
	 * below 2 for a clean one.
	 * @param norms token norms
	 * @return the ratio; infinite or NaN when the median is zero
	 */
	public static double maxToMedianRatio(float[] norms) {
		return max(norms) / median(norms);
	}

	/**
	 * Returns the largest value.
	 * @param values the values
	 * @return the maximum, negative infinity for an empty array
	 */
	public static double max(float[] values) {
		double max = Double.NEGATIVE_INFINITY;
		for (float value : values) {
			max = Math.max(max, value);
		}
		return max;
	}

	/**
	 * Returns the mean cosine similarity between 4-neighbouring patches, taken over every
	 * horizontally or vertically adjacent pair once. A constant field gives 1; artifact
	 * tokens, unrelated to their surroundings, lower it.
	 * @param features one image's features
	 * @return the mean neighbour cosine, NaN for a 1x1 grid
	 */
	public static double neighbourCosine(PatchFeatures features) {
		int height = features.gridHeight();
		int width = features.gridWidth();
		float[] values = features.values();
		int dim = features.dim();
		double sum = 0;
		long pairs = 0;
		for (int row = 0; row < height; row++) {
			for (int column = 0; column < width; column++) {
				int token = row * width + column;
				if (column + 1 < width) {
					sum += cosine(values, token * dim, values, (token + 1) * dim, dim);
					pairs++;
				}
				if (row + 1 < height) {
					sum += cosine(values, token * dim, values, (token + width) * dim, dim);
					pairs++;
				}
			}
		}
		return sum / pairs;
	}

	/**
	 * Returns the cosine between each token and the token at the same position of a
	 * target, for example a student against its denoised teacher target.
	 * @param features the features being judged
	 * @param target the reference, of the same shape
	 * @return one cosine per token, in grid order
	 */
	public static float[] cosineToTarget(PatchFeatures features, PatchFeatures target) {
		if (!features.sameShape(target)) {
			throw new IllegalArgumentException("Features " + features + " and target " + target + " differ in shape");
		}
		int dim = features.dim();
		float[] cosines = new float[features.tokenCount()];
		for (int token = 0; token < cosines.length; token++) {
			cosines[token] = (float) cosine(features.values(), token * dim, target.values(), token * dim, dim);
		}
		return cosines;
	}

	private static double cosine(float[] a, int aOffset, float[] b, int bOffset, int dim) {
		double dot = 0;
		double aa = 0;
		double bb = 0;
		for (int i = 0; i < dim; i++) {
			double x = a[aOffset + i];
			double y = b[bOffset + i];
			dot += x * y;
			aa += x * x;
			bb += y * y;
		}
		return dot / (Math.max(Math.sqrt(aa), EPSILON) * Math.max(Math.sqrt(bb), EPSILON));
	}

}
