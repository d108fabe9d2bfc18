package ai.phreg.distill;

/**
 * One test-time augmentation of an image: a shift by whole patches, then an optional
 * horizontal flip. The view shows original patch {@code (row + dy, column + dx)} at
 * {@code (row, column)} before flipping.
 *
 * @param dy the vertical shift in patches
 * @param dx the horizontal shift in patches
 * @param flip whether the shifted view is mirrored left to right
 */
public record TtaView(int dy, int dx, boolean flip) {

	public static final TtaView IDENTITY = new TtaView(0, 0, false);

}
