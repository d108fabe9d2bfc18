package ai.phreg.metrics;

/**
 * The viridis colormap as a 256-entry table, for heatmaps whose brightness must follow
 * the value: it rises monotonically in lightness, stays readable in greyscale and to
 * colour-blind readers, and, unlike a rainbow, invents no bands. The table interpolates
 * linearly, in sRGB, between ten evenly spaced reference colours of the map, which is
 * indistinguishable from the full table at heatmap scale.
 */
public final class Viridis {

	private static final int[] STOPS = { 0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59,
			0xB4DE2C, 0xFDE725 };

	private static final int[] TABLE = table(256);

	private Viridis() {
	}

	/**
	 * Returns the colour of a position on the map.
	 * @param fraction 0 for the lowest value (dark purple) to 1 for the highest (yellow);
	 * clamped, and NaN maps to 0
	 * @return the colour as {@code 0xRRGGBB}
	 */
	public static int rgb(double fraction) {
		double clamped = (fraction > 0) ? Math.min(1, fraction) : 0;
		return TABLE[(int) Math.round(clamped * (TABLE.length - 1))];
	}

	private static int[] table(int size) {
		int[] table = new int[size];
		for (int i = 0; i < size; i++) {
			double position = (double) i / (size - 1) * (STOPS.length - 1);
			int lower = Math.min((int) position, STOPS.length - 2);
			double t = position - lower;
			int colour = 0;
			for (int shift = 16; shift >= 0; shift -= 8) {
				int from = (STOPS[lower] >> shift) & 0xFF;
				int to = (STOPS[lower + 1] >> shift) & 0xFF;
				colour |= (int) Math.round(from + t * (to - from)) << shift;
			}
			table[i] = colour;
		}
		return table;
	}

}
