package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Which upstream rule a model family uses to resample its learned position-embedding grid
 * to the patch grid of an input.
 * <p>
 * The three families disagree on the exact PyTorch {@code F.interpolate} call, and the
 * differences are not float noise (the hub and transformers DINOv2 outputs differ by
 * about 0.4 off the native grid), so each rule is reproduced exactly. DJL's own bicubic
 * resize is always antialiased, which covers only one of the rules; instead every rule is
 * written as a separable interpolation matrix per axis and applied with two matrix
 * products. That reproduces PyTorch to float32 noise and stays differentiable with
 * respect to the grid, which matters when the position embedding is trained.
 * <p>
 * Callers must skip resampling when the patch grid equals the native grid:
 * {@link #BICUBIC_OFFSET} is not the identity there, while upstream uses the embedding
 * unchanged in that case.
 */
public enum PositionResampling {

	/**
	 * Hub DINOv2 without registers: {@code scale_factor=((h0+0.1)/G, (w0+0.1)/G)},
	 * {@code align_corners=False}, no antialias, cubic {@code a=-0.75}, border indices
	 * clamped.
	 */
	BICUBIC_OFFSET,

	/**
	 * {@code size=(h0, w0)}, no antialias, cubic {@code a=-0.75}, border indices clamped
	 * (transformers {@code Dinov2Model}, CLIP, NACLIP).
	 */
	BICUBIC,

	/**
	 * {@code size=(h0, w0)}, {@code antialias=True}: PIL-style cubic {@code a=-0.5} whose
	 * support widens when downsampling, window clipped to the grid and renormalized (hub
	 * DINOv2 with registers, transformers {@code Dinov2WithRegistersModel}, timm
	 * {@code dynamic_img_size}).
	 */
	BICUBIC_ANTIALIAS;

	/** The hub DINOv2 {@code interpolate_offset}. */
	private static final double OFFSET = 0.1;

	private static final double KEYS_A = -0.75;

	private static final double ANTIALIAS_KEYS_A = -0.5;

	/**
	 * One-dimensional interpolation weights of this rule, computed in double precision.
	 * Each row sums to one up to rounding.
	 * @param in source length along the axis (the grid size {@code G})
	 * @param out target length along the axis ({@code h0} for rows, {@code w0} for
	 * columns)
	 * @return the matrix {@code [out][in]}; output {@code o} is
	 * {@code sum_i weights[o][i] * source[i]}
	 */
	public double[][] weights(int in, int out) {
		if (in < 1 || out < 1) {
			throw new IllegalArgumentException("Sizes must be positive, got in=" + in + ", out=" + out);
		}
		return switch (this) {
			// PyTorch receives the scale factor and inverts it, rather than using in/out.
			case BICUBIC_OFFSET -> clampedCubic(in, out, 1.0 / ((out + OFFSET) / in));
			case BICUBIC -> clampedCubic(in, out, (double) in / out);
			case BICUBIC_ANTIALIAS -> antialiasedCubic(in, out);
		};
	}

	/**
	 * Resamples a token grid with this rule, rows first, then columns.
	 * @param grid the grid {@code [G_h, G_w, D]}, tokens in row-major order
	 * @param outH target rows
	 * @param outW target columns
	 * @return the grid {@code [outH, outW, D]}, attached to the manager of {@code grid}
	 * and differentiable with respect to it
	 */
	public NDArray resample(NDArray grid, int outH, int outW) {
		Shape shape = grid.getShape();
		if (shape.dimension() != 3) {
			throw new IllegalArgumentException("Expected a grid [G_h, G_w, D], got " + shape);
		}
		int inH = Math.toIntExact(shape.get(0));
		int inW = Math.toIntExact(shape.get(1));
		long dim = shape.get(2);
		// The autograd graph saves the weight matrices: they must own libtorch memory
		// (see GraphConstants). They belong to the grid's manager, which callers keep per
		// step (never a model's long-lived one).
		NDManager manager = grid.getManager();
		NDArray rowWeights = GraphConstants.of(manager, toFloats(weights(inH, outH)), new Shape(outH, inH),
				grid.getDataType());
		NDArray columnWeights = GraphConstants.of(manager, toFloats(weights(inW, outW)), new Shape(outW, inW),
				grid.getDataType());
		// [G_h, G_w, D] -> [G_h, G_w*D]: rows become a single matrix product
		NDArray rows = rowWeights.matMul(grid.reshape(inH, inW * dim));
		// [outH, G_w*D] -> [outH, G_w, D]; [outW, G_w] broadcasts over the rows: [outH,
		// outW, D]
		return columnWeights.matMul(rows.reshape(outH, inW, dim));
	}

	private static double[][] clampedCubic(int in, int out, double scale) {
		double[][] weights = new double[out][in];
		for (int o = 0; o < out; o++) {
			// align_corners=False maps pixel centres onto pixel centres.
			double source = scale * (o + 0.5) - 0.5;
			int base = (int) Math.floor(source);
			double t = source - base;
			double[] taps = { keys(t + 1, KEYS_A), keys(t, KEYS_A), keys(1 - t, KEYS_A), keys(2 - t, KEYS_A) };
			for (int k = 0; k < taps.length; k++) {
				// Taps beyond the border repeat the edge value, so their weights pile up
				// on the edge.
				int index = Math.min(Math.max(base - 1 + k, 0), in - 1);
				weights[o][index] += taps[k];
			}
		}
		return weights;
	}

	private static double[][] antialiasedCubic(int in, int out) {
		double scale = (double) in / out;
		double stretch = Math.max(1.0, scale);
		double support = 2.0 * stretch;
		double[][] weights = new double[out][in];
		for (int o = 0; o < out; o++) {
			double center = scale * (o + 0.5);
			// Truncation, not floor, matches PyTorch; both give 0 after the clip at 0.
			int first = Math.max(0, (int) (center - support + 0.5));
			int end = Math.min(in, (int) (center + support + 0.5));
			double total = 0;
			for (int i = first; i < end; i++) {
				weights[o][i] = keys((i - center + 0.5) / stretch, ANTIALIAS_KEYS_A);
				total += weights[o][i];
			}
			// The window is clipped at the border instead of repeating the edge, so the
			// remaining weights are renormalized.
			for (int i = first; i < end; i++) {
				weights[o][i] /= total;
			}
		}
		return weights;
	}

	/** Keys' cubic convolution kernel with parameter {@code a}. */
	private static double keys(double x, double a) {
		double d = Math.abs(x);
		if (d <= 1) {
			return ((a + 2) * d - (a + 3)) * d * d + 1;
		}
		if (d < 2) {
			return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
		}
		return 0;
	}

	private static float[] toFloats(double[][] matrix) {
		int columns = matrix[0].length;
		float[] flat = new float[matrix.length * columns];
		for (int r = 0; r < matrix.length; r++) {
			for (int c = 0; c < columns; c++) {
				flat[r * columns + c] = (float) matrix[r][c];
			}
		}
		return flat;
	}

}
