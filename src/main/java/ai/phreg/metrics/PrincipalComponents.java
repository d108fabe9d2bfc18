package ai.phreg.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The top three principal components of patch features and a fixed mapping of them to
 * RGB, the usual way to look at a ViT feature map: similar patches get similar colours,
 * and an artifact token, unlike its surroundings, stands out as a speck of another
 * colour.
 * <p>
 * Fitting and projecting are separate so that a teacher and its student can share one
 * basis and one colour range: fit on the teacher, project both, and the same colour means
 * the same feature direction in both pictures. The colour range of each component is its
 * 1st to 99th nearest-rank percentile over the fitting set, so a handful of extreme
 * tokens (the artifacts themselves) do not wash the rest of the picture out.
 * <p>
 * Components come from power iteration with deflation on the {@code D x D} covariance, in
 * double, from a fixed pseudo-random start: deterministic, dependency-free, and exact
 * enough for pictures. Each component's sign is fixed so that its largest coordinate is
 * positive. Fitting costs {@code O(M * D^2)} for {@code M} tokens, well under a second
 * for one ViT-B image.
 */
public final class PrincipalComponents {

	/** Three components, one per colour channel. */
	public static final int COUNT = 3;

	private static final int MAX_ITERATIONS = 1000;

	private static final double TOLERANCE = 1e-10;

	private static final double LOW_PERCENT = 1;

	private static final double HIGH_PERCENT = 99;

	private final double[] mean;

	private final double[][] components;

	private final double[] variances;

	private final double[] low;

	private final double[] high;

	private PrincipalComponents(double[] mean, double[][] components, double[] variances, double[] low, double[] high) {
		this.mean = mean;
		this.components = components;
		this.variances = variances;
		this.low = low;
		this.high = high;
	}

	/**
	 * Fits the components and their colour range on the tokens of one or more images.
	 * @param images features of the same dimension, at least {@value #COUNT}
	 * @return the fitted components
	 */
	public static PrincipalComponents fit(List<PatchFeatures> images) {
		if (images.isEmpty()) {
			throw new IllegalArgumentException("Fitting needs at least one image");
		}
		int dim = images.get(0).dim();
		if (dim < COUNT) {
			throw new IllegalArgumentException("Need at least " + COUNT + " feature dimensions, got " + dim);
		}
		long tokens = 0;
		double[] mean = new double[dim];
		for (PatchFeatures image : images) {
			if (image.dim() != dim) {
				throw new IllegalArgumentException(
						"All images must share one feature dimension, got " + dim + " and " + image.dim());
			}
			float[] values = image.values();
			for (int i = 0; i < values.length; i++) {
				mean[i % dim] += values[i];
			}
			tokens += image.tokenCount();
		}
		for (int i = 0; i < dim; i++) {
			mean[i] /= tokens;
		}
		double[][] covariance = covariance(images, mean, tokens);
		double[][] components = new double[COUNT][];
		double[] variances = new double[COUNT];
		Random random = new Random(0x5EED);
		for (int k = 0; k < COUNT; k++) {
			components[k] = dominantEigenvector(covariance, random);
			variances[k] = rayleigh(covariance, components[k]);
			deflate(covariance, components[k], variances[k]);
		}
		float[][] scores = new float[COUNT][Math.toIntExact(tokens)];
		int at = 0;
		for (PatchFeatures image : images) {
			float[] projected = project(mean, components, image);
			for (int token = 0; token < image.tokenCount(); token++, at++) {
				for (int k = 0; k < COUNT; k++) {
					scores[k][at] = projected[token * COUNT + k];
				}
			}
		}
		double[] low = new double[COUNT];
		double[] high = new double[COUNT];
		for (int k = 0; k < COUNT; k++) {
			Arrays.sort(scores[k]);
			low[k] = scores[k][NearestRank.rank(scores[k].length, LOW_PERCENT) - 1];
			high[k] = scores[k][NearestRank.rank(scores[k].length, HIGH_PERCENT) - 1];
		}
		return new PrincipalComponents(mean, components, variances, low, high);
	}

	/**
	 * Returns one component.
	 * @param index 0 for the direction of largest variance
	 * @return a copy of the unit vector
	 */
	public double[] component(int index) {
		return this.components[index].clone();
	}

	/**
	 * Returns the variance of the fitting tokens along each component, decreasing.
	 * @return a copy of the {@value #COUNT} variances
	 */
	public double[] variances() {
		return this.variances.clone();
	}

	/**
	 * Projects tokens onto the components, after removing the fitting set's mean.
	 * @param features features of the fitted dimension
	 * @return row-major {@code [N, 3]} scores
	 */
	public float[] project(PatchFeatures features) {
		return project(this.mean, this.components, features);
	}

	/**
	 * Maps each token to a colour: component k drives channel k (red, green, blue),
	 * scaled so the fitting set's 1st percentile is 0 and its 99th is 255, clamped
	 * beyond.
	 * @param features features of the fitted dimension
	 * @return {@code 0xRRGGBB} per token, in grid order
	 */
	public int[] colours(PatchFeatures features) {
		float[] scores = project(features);
		int[] rgb = new int[features.tokenCount()];
		for (int token = 0; token < rgb.length; token++) {
			int colour = 0;
			for (int k = 0; k < COUNT; k++) {
				double span = this.high[k] - this.low[k];
				// A component without spread in the fitting set carries no contrast;
				// mid grey says so instead of saturating on noise.
				double level = (span > 0) ? (scores[token * COUNT + k] - this.low[k]) / span : 0.5;
				colour = (colour << 8) | (int) Math.round(255 * Math.min(1, Math.max(0, level)));
			}
			rgb[token] = colour;
		}
		return rgb;
	}

	private static float[] project(double[] mean, double[][] components, PatchFeatures features) {
		int dim = mean.length;
		if (features.dim() != dim) {
			throw new IllegalArgumentException("Fitted on dimension " + dim + ", got " + features);
		}
		float[] values = features.values();
		float[] scores = new float[features.tokenCount() * COUNT];
		for (int token = 0; token < features.tokenCount(); token++) {
			for (int k = 0; k < COUNT; k++) {
				double[] component = components[k];
				double sum = 0;
				for (int i = 0; i < dim; i++) {
					sum += (values[token * dim + i] - mean[i]) * component[i];
				}
				scores[token * COUNT + k] = (float) sum;
			}
		}
		return scores;
	}

	private static double[][] covariance(List<PatchFeatures> images, double[] mean, long tokens) {
		int dim = mean.length;
		double[][] covariance = new double[dim][dim];
		double[] centred = new double[dim];
		for (PatchFeatures image : images) {
			float[] values = image.values();
			for (int token = 0; token < image.tokenCount(); token++) {
				for (int i = 0; i < dim; i++) {
					centred[i] = values[token * dim + i] - mean[i];
				}
				// Upper triangle only; the matrix is symmetric.
				for (int i = 0; i < dim; i++) {
					double ci = centred[i];
					double[] row = covariance[i];
					for (int j = i; j < dim; j++) {
						row[j] += ci * centred[j];
					}
				}
			}
		}
		for (int i = 0; i < dim; i++) {
			for (int j = i; j < dim; j++) {
				covariance[i][j] /= tokens;
				covariance[j][i] = covariance[i][j];
			}
		}
		return covariance;
	}

	// A random start has, with probability one, a component along the dominant
	// eigenvector, which any fixed vector (say all ones) might lack for symmetric data.
	private static double[] dominantEigenvector(double[][] matrix, Random random) {
		int dim = matrix.length;
		double[] vector = new double[dim];
		for (int i = 0; i < dim; i++) {
			vector[i] = random.nextGaussian();
		}
		normalise(vector);
		for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
			double[] next = multiply(matrix, vector);
			if (normalise(next) == 0) {
				// Nothing left after deflation: any vector is an eigenvector of zero.
				return orientated(vector);
			}
			double change = 0;
			for (int i = 0; i < dim; i++) {
				change += (next[i] - vector[i]) * (next[i] - vector[i]);
			}
			vector = next;
			if (change < TOLERANCE * TOLERANCE) {
				break;
			}
		}
		return orientated(vector);
	}

	private static double rayleigh(double[][] matrix, double[] vector) {
		double[] product = multiply(matrix, vector);
		double sum = 0;
		for (int i = 0; i < vector.length; i++) {
			sum += vector[i] * product[i];
		}
		return sum;
	}

	private static void deflate(double[][] matrix, double[] vector, double eigenvalue) {
		for (int i = 0; i < matrix.length; i++) {
			for (int j = 0; j < matrix.length; j++) {
				matrix[i][j] -= eigenvalue * vector[i] * vector[j];
			}
		}
	}

	private static double[] multiply(double[][] matrix, double[] vector) {
		double[] product = new double[vector.length];
		for (int i = 0; i < matrix.length; i++) {
			double sum = 0;
			double[] row = matrix[i];
			for (int j = 0; j < vector.length; j++) {
				sum += row[j] * vector[j];
			}
			product[i] = sum;
		}
		return product;
	}

	private static double normalise(double[] vector) {
		double sum = 0;
		for (double x : vector) {
			sum += x * x;
		}
		double norm = Math.sqrt(sum);
		if (norm > 0) {
			for (int i = 0; i < vector.length; i++) {
				vector[i] /= norm;
			}
		}
		return norm;
	}

	// Eigenvectors are defined up to sign; fixing it keeps colours stable between runs
	// and between data sets fitted separately.
	private static double[] orientated(double[] vector) {
		int largest = 0;
		for (int i = 1; i < vector.length; i++) {
			if (Math.abs(vector[i]) > Math.abs(vector[largest])) {
				largest = i;
			}
		}
		if (vector[largest] < 0) {
			for (int i = 0; i < vector.length; i++) {
				vector[i] = -vector[i];
			}
		}
		return vector;
	}

}
