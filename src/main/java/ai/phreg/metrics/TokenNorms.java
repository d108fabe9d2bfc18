package ai.phreg.metrics;

/**
 * Per-token L2 norms, the signature of artifact tokens: a ViT that hijacks a patch token
 * as scratch space gives it a norm about ten times the median.
 */
public final class TokenNorms {

	private TokenNorms() {
	}

	/**
	 * Computes the L2 norm of every patch token. Squares are summed in double so a
	 * 1024-dimensional sum of large activations loses nothing before the final rounding.
	 * @param features one image's features
	 * @return the norms on the image's patch grid
	 */
	public static PatchGrid of(PatchFeatures features) {
		float[] values = features.values();
		int dim = features.dim();
		float[] norms = new float[features.tokenCount()];
		for (int token = 0; token < norms.length; token++) {
			double sum = 0;
			for (int i = token * dim, end = i + dim; i < end; i++) {
				sum += (double) values[i] * values[i];
			}
			norms[token] = (float) Math.sqrt(sum);
		}
		return new PatchGrid(norms, features.gridHeight(), features.gridWidth());
	}

}
