package ai.phreg.metrics;

import java.util.Random;

/**
 * Feature maps with known structure: a smooth "content" field, like a ViT's features of a
 * natural image, into which artifact tokens can be planted.
 */
final class SyntheticFeatures {

	private SyntheticFeatures() {
	}

	/**
	 * A field whose every coordinate is {@code 1 + 0.5 sin(...)} of a slow wave across
	 * the grid plus a little noise: neighbours are alike, norms vary by a few percent.
	 */
	static float[] smoothField(int gridHeight, int gridWidth, int dim, Random random) {
		double[] rowFrequency = new double[dim];
		double[] columnFrequency = new double[dim];
		double[] phase = new double[dim];
		for (int i = 0; i < dim; i++) {
			rowFrequency[i] = random.nextDouble() * 2 * Math.PI / gridHeight;
			columnFrequency[i] = random.nextDouble() * 2 * Math.PI / gridWidth;
			phase[i] = random.nextDouble() * 2 * Math.PI;
		}
		float[] values = new float[gridHeight * gridWidth * dim];
		for (int row = 0; row < gridHeight; row++) {
			for (int column = 0; column < gridWidth; column++) {
				for (int i = 0; i < dim; i++) {
					double wave = Math.sin(row * rowFrequency[i] + column * columnFrequency[i] + phase[i]);
					values[(row * gridWidth + column) * dim
							+ i] = (float) (1 + 0.5 * wave + 0.05 * random.nextGaussian());
				}
			}
		}
		return values;
	}

	/**
	 * Replaces one token by an artifact: a vector of the given norm along a fixed
	 * direction nearly orthogonal to the field, the same for every artifact, as the
	 * registers paper observes.
	 */
	static void plantArtifact(float[] values, int dim, int token, double norm) {
		for (int i = 0; i < dim; i++) {
			values[token * dim + i] = (float) (((i % 2 == 0) ? norm : -norm) / Math.sqrt(dim));
		}
	}

	/** The median token norm of a field, the reference for an artifact's norm. */
	static double medianNorm(float[] values, int gridHeight, int gridWidth) {
		return ArtifactMetrics.median(TokenNorms.of(PatchFeatures.of(values, gridHeight, gridWidth)).values());
	}

}
