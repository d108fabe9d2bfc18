package ai.phreg.distill;

/**
 * Counter-based randomness: every random choice of a run (data order, crops, views,
 * register initialisation) is drawn from a generator seeded by the run's seed and the
 * choice's position. Resuming therefore needs only the seed and the position, never a
 * saved generator state, and the same run gives the same choices in any JVM.
 */
public final class Seeds {

	private Seeds() {
	}

	/**
	 * A well-mixed seed for the choice identified by {@code parts} (SplitMix64
	 * finalizer).
	 */
	public static long derive(long seed, long... parts) {
		long state = mix(seed);
		for (long part : parts) {
			state = mix(state ^ mix(part + 0x9E3779B97F4A7C15L));
		}
		return state;
	}

	private static long mix(long z) {
		z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
		z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
		return z ^ (z >>> 31);
	}

}
