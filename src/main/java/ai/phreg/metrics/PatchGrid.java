package ai.phreg.metrics;

import java.util.Arrays;
import java.util.Objects;

/**
 * One number per patch on an image's patch grid, row-major: token norms, the fraction of
 * images in which a position is an outlier, anything a heatmap can show.
 * <p>
 * The array is owned by the record and never copied; callers must treat it as read-only.
 *
 * @param values {@code gridHeight * gridWidth} values, row-major
 * @param gridHeight patch rows
 * @param gridWidth patch columns
 */
public record PatchGrid(float[] values, int gridHeight, int gridWidth) {

	public PatchGrid {
		Objects.requireNonNull(values, "values");
		if (gridHeight <= 0 || gridWidth <= 0) {
			throw new IllegalArgumentException("Grid must be positive, got " + gridHeight + "x" + gridWidth);
		}
		if (values.length != (long) gridHeight * gridWidth) {
			throw new IllegalArgumentException("A " + gridHeight + "x" + gridWidth + " grid needs "
					+ (long) gridHeight * gridWidth + " values, got " + values.length);
		}
	}

	/**
	 * Returns the value at one position.
	 * @param row patch row
	 * @param column patch column
	 * @return the value
	 */
	public float at(int row, int column) {
		Objects.checkIndex(row, this.gridHeight);
		Objects.checkIndex(column, this.gridWidth);
		return this.values[row * this.gridWidth + column];
	}

	// Records compare arrays by reference; grids are values.
	@Override
	public boolean equals(Object other) {
		return other instanceof PatchGrid grid && this.gridHeight == grid.gridHeight && this.gridWidth == grid.gridWidth
				&& Arrays.equals(this.values, grid.values);
	}

	@Override
	public int hashCode() {
		return 31 * (31 * this.gridHeight + this.gridWidth) + Arrays.hashCode(this.values);
	}

	@Override
	public String toString() {
		return "PatchGrid[" + this.gridHeight + "x" + this.gridWidth + "]";
	}

}
