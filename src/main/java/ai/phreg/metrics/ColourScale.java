package ai.phreg.metrics;

/**
 * The value range a heatmap spreads over its colormap. Pass one scale to both pictures of
 * a comparison so that a colour means the same norm in the teacher's and the student's
 * heatmap; a scale fitted to each picture alone would stretch the student's flat map to
 * the full range and hide the improvement.
 *
 * @param min value drawn with the lowest colour, and everything below it
 * @param max value drawn with the highest colour, and everything above it
 */
public record ColourScale(double min, double max) {

	public ColourScale {
		if (!(Double.isFinite(min) && Double.isFinite(max) && min <= max)) {
			throw new IllegalArgumentException("Scale must be finite and ordered, got " + min + ".." + max);
		}
	}

	/**
	 * Returns the smallest scale covering every finite value of some grids.
	 * @param grids the grids to draw
	 * @return the scale
	 */
	public static ColourScale spanning(PatchGrid... grids) {
		double min = Double.POSITIVE_INFINITY;
		double max = Double.NEGATIVE_INFINITY;
		for (PatchGrid grid : grids) {
			for (float value : grid.values()) {
				if (Float.isFinite(value)) {
					min = Math.min(min, value);
					max = Math.max(max, value);
				}
			}
		}
		if (min > max) {
			throw new IllegalArgumentException("No finite values to scale");
		}
		return new ColourScale(min, max);
	}

	/**
	 * Places a value on the scale.
	 * @param value the value
	 * @return 0 at {@code min} to 1 at {@code max}, clamped; 0 for a zero-width scale
	 */
	public double fraction(double value) {
		if (this.max == this.min) {
			return 0;
		}
		return Math.min(1, Math.max(0, (value - this.min) / (this.max - this.min)));
	}

}
