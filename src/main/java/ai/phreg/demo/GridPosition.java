package ai.phreg.demo;

/**
 * A cell of the patch grid.
 *
 * @param row the patch row, 0 at the top
 * @param col the patch column, 0 at the left
 */
public record GridPosition(int row, int col) {
}
