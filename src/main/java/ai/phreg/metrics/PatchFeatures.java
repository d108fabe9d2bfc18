package ai.phreg.metrics;

import java.util.Arrays;
import java.util.Objects;

/**
 * The dense patch features of one image, the input of every metric in this package.
 * Features are row-major {@code [N, D]} with the {@code N = gridHeight * gridWidth}
 * tokens in row-major grid order, the layout of a ViT's patch tokens once the CLS and
 * register tokens are dropped.
 * <p>
 * The array is owned by the record and never copied, since features of a large model run
 * to megabytes per image; callers must treat it as read-only.
 *
 * @param values {@code gridHeight * gridWidth * dim} floats
 * @param gridHeight patch rows
 * @param gridWidth patch columns
 * @param dim feature dimension {@code D}
 */
public record PatchFeatures(float[] values, int gridHeight, int gridWidth, int dim) {

	public PatchFeatures {
		Objects.requireNonNull(values, "values");
		if (gridHeight <= 0 || gridWidth <= 0 || dim <= 0) {
			throw new IllegalArgumentException(
					"Grid and dimension must be positive, got " + gridHeight + "x" + gridWidth + "x" + dim);
		}
		long expected = (long) gridHeight * gridWidth * dim;
		if (values.length != expected) {
			throw new IllegalArgumentException("A " + gridHeight + "x" + gridWidth + " grid of " + dim
					+ "-dimensional features needs " + expected + " floats, got " + values.length);
		}
	}

	/**
	 * Wraps features whose dimension follows from their length.
	 * @param values row-major {@code [N, D]} features
	 * @param gridHeight patch rows
	 * @param gridWidth patch columns
	 * @return the features
	 */
	public static PatchFeatures of(float[] values, int gridHeight, int gridWidth) {
		if (gridHeight <= 0 || gridWidth <= 0) {
			throw new IllegalArgumentException("Grid must be positive, got " + gridHeight + "x" + gridWidth);
		}
		int tokens = gridHeight * gridWidth;
		if (values.length == 0 || values.length % tokens != 0) {
			throw new IllegalArgumentException(
					values.length + " floats do not split into " + tokens + " equal, non-empty feature vectors");
		}
		return new PatchFeatures(values, gridHeight, gridWidth, values.length / tokens);
	}

	/**
	 * Returns the number of patch tokens.
	 * @return {@code gridHeight * gridWidth}
	 */
	public int tokenCount() {
		return this.gridHeight * this.gridWidth;
	}

	/**
	 * Tells whether two feature maps can be compared token by token.
	 * @param other the other features
	 * @return whether grid and dimension agree
	 */
	public boolean sameShape(PatchFeatures other) {
		return this.gridHeight == other.gridHeight && this.gridWidth == other.gridWidth && this.dim == other.dim;
	}

	// Records compare arrays by reference; features are values.
	@Override
	public boolean equals(Object other) {
		return other instanceof PatchFeatures features && sameShape(features)
				&& Arrays.equals(this.values, features.values);
	}

	@Override
	public int hashCode() {
		return 31 * Objects.hash(this.gridHeight, this.gridWidth, this.dim) + Arrays.hashCode(this.values);
	}

	@Override
	public String toString() {
		return "PatchFeatures[" + this.gridHeight + "x" + this.gridWidth + "x" + this.dim + "]";
	}

}
