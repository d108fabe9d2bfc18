package ai.phreg.model;

import java.util.Objects;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding over the patch grid, applied to the queries and keys of the
 * patch tokens only (class, storage and register tokens are not rotated). Each family has
 * its own frequencies, coordinates and pairing of dimensions, reproduced exactly.
 *
 * @param style the family's rule
 * @param base DINOv3's {@code pos_embed_rope_base} (100), EVA-02's temperature (10000)
 * @param referenceGrid EVA-02's {@code ref_feat_shape} side (coordinates are scaled to
 * it); unused by DINOv3
 */
public record RotaryEmbedding(Style style, double base, int referenceGrid) {

	public enum Style {

		/**
		 * facebookresearch/dinov3: {@code periods[j] = base^(4j/hd)}, coordinates the
		 * patch centres normalized to (-1, 1) per axis, angles {@code 2π·coord/period},
		 * first the row angles then the column angles, tiled twice; rotate-half pairing
		 * (dimension j with j + hd/2).
		 */
		DINOV3,

		/**
		 * timm {@code RotaryEmbeddingCat} as EVA-02 uses it:
		 * {@code bands[j] = base^(-j/(hd/4))}, coordinates the patch index scaled by
		 * {@code referenceGrid / grid}, row then column angles, each repeated twice in
		 * place; interleaved pairing (dimensions 2i and 2i+1).
		 */
		EVA02

	}

	public RotaryEmbedding {
		Objects.requireNonNull(style, "style");
		if (!(base > 0)) {
			throw new IllegalArgumentException("RoPE base must be positive, got " + base);
		}
	}

	public static RotaryEmbedding dinoV3(double base) {
		return new RotaryEmbedding(Style.DINOV3, base, 0);
	}

	public static RotaryEmbedding eva02(double temperature, int referenceGrid) {
		return new RotaryEmbedding(Style.EVA02, temperature, referenceGrid);
	}

	/**
	 * DINOv3's periods for a head width, {@code base^(4j/headDim)} for
	 * {@code j < headDim/4}: what upstream stores as {@code rope_embed.periods}.
	 */
	public double[] periods(int headDim) {
		if (this.style != Style.DINOV3) {
			throw new IllegalStateException(this.style + " RoPE has no periods");
		}
		double[] periods = new double[headDim / 4];
		for (int j = 0; j < periods.length; j++) {
			periods[j] = dinoV3Period(j, periods.length);
		}
		return periods;
	}

	private double dinoV3Period(int j, int quarter) {
		return Math.pow(this.base, 4.0 * j / (4 * quarter));
	}

	/**
	 * The sine and cosine tables {@code [h·w, headDim]} for an {@code h × w} patch grid,
	 * patches row-major, computed in double precision and rounded once.
	 */
	public NDList tables(NDManager manager, int gridHeight, int gridWidth, int headDim) {
		if (headDim % 4 != 0) {
			throw new IllegalArgumentException("RoPE needs a head width divisible by 4, got " + headDim);
		}
		int quarter = headDim / 4;
		int tokens = gridHeight * gridWidth;
		float[] sin = new float[tokens * headDim];
		float[] cos = new float[tokens * headDim];
		double[] angles = new double[headDim];
		for (int r = 0; r < gridHeight; r++) {
			for (int c = 0; c < gridWidth; c++) {
				fillAngles(angles, r, c, gridHeight, gridWidth, quarter);
				int row = (r * gridWidth + c) * headDim;
				for (int d = 0; d < headDim; d++) {
					sin[row + d] = (float) Math.sin(angles[d]);
					cos[row + d] = (float) Math.cos(angles[d]);
				}
			}
		}
		Shape shape = new Shape(tokens, headDim);
		return new NDList(GraphConstants.of(manager, sin, shape), GraphConstants.of(manager, cos, shape));
	}

	private void fillAngles(double[] angles, int r, int c, int gridHeight, int gridWidth, int quarter) {
		for (int j = 0; j < quarter; j++) {
			double rowAngle;
			double columnAngle;
			if (this.style == Style.DINOV3) {
				double period = dinoV3Period(j, quarter);
				double y = 2 * ((r + 0.5) / gridHeight) - 1;
				double x = 2 * ((c + 0.5) / gridWidth) - 1;
				rowAngle = 2 * Math.PI * y / period;
				columnAngle = 2 * Math.PI * x / period;
				// [rows | columns], tiled twice: [a, a]
				angles[j] = rowAngle;
				angles[quarter + j] = columnAngle;
				angles[2 * quarter + j] = rowAngle;
				angles[3 * quarter + j] = columnAngle;
			}
			else {
				double band = 1 / Math.pow(this.base, (double) j / quarter);
				rowAngle = (double) r / gridHeight * this.referenceGrid * band;
				columnAngle = (double) c / gridWidth * this.referenceGrid * band;
				// [rows | columns], each angle repeated in place: [θ0, θ0, θ1, θ1, ...]
				angles[2 * j] = rowAngle;
				angles[2 * j + 1] = rowAngle;
				angles[2 * quarter + 2 * j] = columnAngle;
				angles[2 * quarter + 2 * j + 1] = columnAngle;
			}
		}
	}

	/**
	 * Rotates the last {@code N} tokens of queries or keys {@code (B, H, T, hd)}, where
	 * {@code N} is the number of rows of the tables; earlier (prefix) tokens pass
	 * unchanged.
	 */
	public NDArray apply(NDArray x, NDArray sin, NDArray cos) {
		long tokens = x.getShape().get(2);
		long patches = sin.getShape().get(0);
		NDArray prefix = x.get(":, :, :" + (tokens - patches) + ", :");
		NDArray rotated = x.get(":, :, " + (tokens - patches) + ":, :");
		rotated = rotated.mul(cos).add(rotateHalfOrPairs(rotated).mul(sin));
		return (tokens == patches) ? rotated : prefix.concat(rotated, 2);
	}

	private NDArray rotateHalfOrPairs(NDArray x) {
		Shape shape = x.getShape();
		long headDim = shape.get(shape.dimension() - 1);
		if (this.style == Style.DINOV3) {
			NDList halves = x.split(2, shape.dimension() - 1);
			return halves.get(1).neg().concat(halves.get(0), shape.dimension() - 1);
		}
		// (..., hd) -> (..., hd/2, 2): [-x1, x0] per pair
		NDArray pairs = x.reshape(shape.slice(0, shape.dimension() - 1).add(headDim / 2, 2));
		NDList split = pairs.split(2, shape.dimension());
		return split.get(1).neg().concat(split.get(0), shape.dimension()).reshape(shape);
	}

}
