package ai.phreg.checkpoint;

/**
 * Double-precision building blocks of the independent reference forwards that check
 * exported checkpoints ({@link HuggingFaceExportReferenceTests},
 * {@link ClipExportReferenceTests}, {@link TimmSigLipExportReferenceTests},
 * {@link TimmEvaExportReferenceTests}, {@link DinoV3ExportReferenceTests}): written from
 * PyTorch's definitions, sharing nothing with phreg's model code. Token sequences are
 * {@code [tokens][dim]}.
 */
final class ReferenceMath {

	private ReferenceMath() {
	}

	/**
	 * A patch-sized, patch-strided convolution over CHW pixels; {@code bias} may be null.
	 */
	static double[][] patchEmbeddings(float[] pixels, int size, int patch, double[] weight, double[] bias, int dim) {
		int grid = size / patch;
		double[][] out = new double[grid * grid][dim];
		for (int row = 0; row < grid; row++) {
			for (int col = 0; col < grid; col++) {
				double[] token = out[row * grid + col];
				for (int o = 0; o < dim; o++) {
					double sum = (bias != null) ? bias[o] : 0;
					for (int c = 0; c < 3; c++) {
						for (int y = 0; y < patch; y++) {
							for (int x = 0; x < patch; x++) {
								sum += weight[((o * 3 + c) * patch + y) * patch + x]
										* pixels[(c * size + row * patch + y) * size + col * patch + x];
							}
						}
					}
					token[o] = sum;
				}
			}
		}
		return out;
	}

	/**
	 * nn.Linear: {@code x W^T + b} with W stored {@code (out, in)} from row
	 * {@code firstRow} on (one slice of a packed projection such as
	 * {@code in_proj_weight}) and the bias entries of the same rows.
	 */
	static double[][] linear(double[][] x, double[] weight, double[] bias, int firstRow, int out) {
		int in = x[0].length;
		double[][] y = new double[x.length][out];
		for (int t = 0; t < x.length; t++) {
			for (int o = 0; o < out; o++) {
				int row = firstRow + o;
				double sum = bias[row];
				for (int i = 0; i < in; i++) {
					sum += x[t][i] * weight[row * in + i];
				}
				y[t][o] = sum;
			}
		}
		return y;
	}

	/** nn.Linear with its whole weight {@code (out, in)}. */
	static double[][] linear(double[][] x, double[] weight, double[] bias) {
		return linear(x, weight, bias, 0, bias.length);
	}

	/**
	 * Multi-head scaled dot-product attention: softmax(qk^T/sqrt(d))v per head; the
	 * queries may be fewer than the keys (a pooling probe).
	 */
	static double[][] attention(double[][] query, double[][] key, double[][] value, int heads) {
		int tokens = query.length;
		int keys = key.length;
		int dim = query[0].length;
		int headDim = dim / heads;
		double scale = 1 / Math.sqrt(headDim);
		double[][] context = new double[tokens][dim];
		for (int h = 0; h < heads; h++) {
			int offset = h * headDim;
			for (int i = 0; i < tokens; i++) {
				double[] scores = new double[keys];
				double max = Double.NEGATIVE_INFINITY;
				for (int j = 0; j < keys; j++) {
					double dot = 0;
					for (int d = 0; d < headDim; d++) {
						dot += query[i][offset + d] * key[j][offset + d];
					}
					scores[j] = dot * scale;
					max = Math.max(max, scores[j]);
				}
				double sum = 0;
				for (int j = 0; j < keys; j++) {
					scores[j] = Math.exp(scores[j] - max);
					sum += scores[j];
				}
				for (int j = 0; j < keys; j++) {
					double weight = scores[j] / sum;
					for (int d = 0; d < headDim; d++) {
						context[i][offset + d] += weight * value[j][offset + d];
					}
				}
			}
		}
		return context;
	}

	static double[][] layerNorm(double[][] x, double[] gamma, double[] beta, double eps) {
		double[][] y = new double[x.length][];
		for (int t = 0; t < x.length; t++) {
			double mean = 0;
			for (double v : x[t]) {
				mean += v;
			}
			mean /= x[t].length;
			double variance = 0;
			for (double v : x[t]) {
				variance += (v - mean) * (v - mean);
			}
			variance /= x[t].length;
			double inverse = 1 / Math.sqrt(variance + eps);
			y[t] = new double[x[t].length];
			for (int d = 0; d < x[t].length; d++) {
				y[t][d] = (x[t][d] - mean) * inverse * gamma[d] + beta[d];
			}
		}
		return y;
	}

	/** {@code residual + scale * x}, per channel; a null scale is 1 (no LayerScale). */
	static double[][] addScaled(double[][] residual, double[][] x, double[] scale) {
		double[][] y = new double[x.length][x[0].length];
		for (int t = 0; t < x.length; t++) {
			for (int d = 0; d < x[t].length; d++) {
				y[t][d] = residual[t][d] + ((scale != null) ? scale[d] : 1) * x[t][d];
			}
		}
		return y;
	}

	/** The exact, erf-based GELU (PyTorch's nn.GELU, transformers' "gelu"). */
	static double[][] gelu(double[][] x) {
		double[][] y = new double[x.length][x[0].length];
		for (int t = 0; t < x.length; t++) {
			for (int d = 0; d < x[t].length; d++) {
				double v = x[t][d];
				y[t][d] = 0.5 * v * (1 + erf(v / Math.sqrt(2)));
			}
		}
		return y;
	}

	/**
	 * GELU's tanh approximation (PyTorch's {@code GELU(approximate='tanh')}, timm's
	 * {@code gelu_tanh}).
	 */
	static double[][] geluTanh(double[][] x) {
		double[][] y = new double[x.length][x[0].length];
		for (int t = 0; t < x.length; t++) {
			for (int d = 0; d < x[t].length; d++) {
				double v = x[t][d];
				y[t][d] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
			}
		}
		return y;
	}

	/** OpenAI CLIP's QuickGELU: {@code x * sigmoid(1.702 x)}. */
	static double[][] quickGelu(double[][] x) {
		double[][] y = new double[x.length][x[0].length];
		for (int t = 0; t < x.length; t++) {
			for (int d = 0; d < x[t].length; d++) {
				double v = x[t][d];
				y[t][d] = v / (1 + Math.exp(-1.702 * v));
			}
		}
		return y;
	}

	/** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
	private static double erf(double x) {
		double t = 1 / (1 + 0.3275911 * Math.abs(x));
		double polynomial = t
				* (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
		double value = 1 - polynomial * Math.exp(-x * x);
		return (x >= 0) ? value : -value;
	}

	static double[] doubles(float[] values) {
		double[] result = new double[values.length];
		for (int i = 0; i < values.length; i++) {
			result[i] = values[i];
		}
		return result;
	}

	/**
	 * The largest amount by which {@code ours} misses {@code expected} beyond a relative
	 * {@code tolerance}, over row-major {@code ours}.
	 */
	static double worstExcess(float[] ours, double[][] expected, double tolerance) {
		int dim = expected[0].length;
		double worst = 0;
		for (int row = 0; row < expected.length; row++) {
			for (int d = 0; d < dim; d++) {
				double reference = expected[row][d];
				double excess = Math.abs(ours[row * dim + d] - reference) - tolerance * Math.abs(reference);
				worst = Math.max(worst, excess);
			}
		}
		return worst;
	}

}
