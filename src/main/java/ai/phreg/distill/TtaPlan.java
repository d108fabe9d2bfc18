package ai.phreg.distill;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The views over which the teacher's features are averaged. Shifts are drawn as PH-Reg
 * does: a pool of {@code 10·V} offsets uniform in {@code [-s, s]²} with
 * {@code s = round(shift·G)}, thinned to {@code V} well-spread offsets by farthest-point
 * sampling from a random start; view 0 is then forced to the identity, and every other
 * view flips with probability one half.
 *
 * @param views the views, view 0 the identity
 */
public record TtaPlan(List<TtaView> views) {

	public TtaPlan {
		views = List.copyOf(views);
		if (views.isEmpty() || !views.get(0).equals(TtaView.IDENTITY)) {
			throw new IllegalArgumentException("View 0 must be the identity (0, 0, no flip), got " + views);
		}
	}

	/**
	 * The largest shift in patches for a grid of {@code gridSize} (Python's half-even
	 * rounding).
	 */
	public static int maxShift(int gridSize, double shiftFraction) {
		return (int) Math.rint(shiftFraction * gridSize);
	}

	/** Draws a plan; the same arguments always give the same plan. */
	public static TtaPlan sample(int gridSize, double shiftFraction, int count, long seed) {
		if (count < 1) {
			throw new IllegalArgumentException("A plan needs at least one view, got " + count);
		}
		SplittableRandom random = new SplittableRandom(seed);
		int shift = maxShift(gridSize, shiftFraction);
		int[][] pool = new int[10 * count][2];
		for (int[] offset : pool) {
			offset[0] = random.nextInt(-shift, shift + 1);
			offset[1] = random.nextInt(-shift, shift + 1);
		}
		List<TtaView> views = new ArrayList<>();
		views.add(TtaView.IDENTITY);
		int[] chosen = farthestPoints(pool, count, random.nextInt(pool.length));
		for (int i = 1; i < count; i++) {
			int[] offset = pool[chosen[i]];
			views.add(new TtaView(offset[0], offset[1], random.nextBoolean()));
		}
		return new TtaPlan(views);
	}

	/**
	 * Greedy farthest-point sampling: starting at {@code start}, repeatedly takes the
	 * pool point whose squared distance to the nearest taken point is largest (first
	 * index on ties).
	 */
	static int[] farthestPoints(int[][] pool, int count, int start) {
		long[] nearest = new long[pool.length];
		Arrays.fill(nearest, Long.MAX_VALUE);
		int[] chosen = new int[count];
		int farthest = start;
		for (int i = 0; i < count; i++) {
			chosen[i] = farthest;
			int[] center = pool[farthest];
			for (int p = 0; p < pool.length; p++) {
				long ddy = pool[p][0] - center[0];
				long ddx = pool[p][1] - center[1];
				nearest[p] = Math.min(nearest[p], ddy * ddy + ddx * ddx);
			}
			farthest = 0;
			for (int p = 1; p < pool.length; p++) {
				if (nearest[p] > nearest[farthest]) {
					farthest = p;
				}
			}
		}
		return chosen;
	}

	public int size() {
		return this.views.size();
	}

}
