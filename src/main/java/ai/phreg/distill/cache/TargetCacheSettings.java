package ai.phreg.distill.cache;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Whether and how a run caches its denoised teacher targets.
 * <p>
 * With the cache, each image gets {@code viewSets} fixed (crop, test-time plan) pairs,
 * computed once and cycled through the epochs: epoch {@code e} uses set
 * {@code e mod viewSets}. The authors draw a new crop and plan every epoch, which is the
 * cache with as many view sets as epochs (and then nothing is ever read back). Fewer sets
 * trade crop and view diversity for teacher time; the demo efficacy figures show what
 * that costs.
 *
 * @param enabled whether targets are cached at all
 * @param viewSets distinct (crop, plan) pairs per image, cycled through the epochs
 * @param folder where the shards live; shared by runs with the same teacher and images
 * @param capBytes the largest cache the run may create
 * @param overCap what happens when the estimate exceeds the cap
 */
public record TargetCacheSettings(boolean enabled, int viewSets, Path folder, long capBytes, OverCap overCap) {

	/** No cache: targets are computed every step, exactly as the authors do. */
	public static final TargetCacheSettings OFF = new TargetCacheSettings(false, 1, null, 0, OverCap.REFUSE);

	/** A default chosen from the demo measurements (see {@code bench/README.md}). */
	public static final int DEFAULT_VIEW_SETS = 4;

	/** A default cap: 20 GiB of float16 targets. */
	public static final long DEFAULT_CAP_BYTES = 20L << 30;

	/** Bytes a shard needs beyond its float16 values: length prefix and JSON header. */
	static final long SHARD_OVERHEAD_BYTES = 512;

	public TargetCacheSettings {
		Objects.requireNonNull(overCap, "overCap");
		if (enabled) {
			Objects.requireNonNull(folder, "folder");
			if (viewSets < 1) {
				throw new IllegalArgumentException("viewSets must be at least 1, got " + viewSets);
			}
			if (capBytes < 0) {
				throw new IllegalArgumentException("The cache cap must not be negative, got " + capBytes);
			}
		}
	}

	/** A cache in {@code folder} with the default view sets and cap, refusing over it. */
	public static TargetCacheSettings on(Path folder) {
		return new TargetCacheSettings(true, DEFAULT_VIEW_SETS, folder, DEFAULT_CAP_BYTES, OverCap.REFUSE);
	}

	public TargetCacheSettings withViewSets(int sets) {
		return new TargetCacheSettings(this.enabled, sets, this.folder, this.capBytes, this.overCap);
	}

	public TargetCacheSettings withCap(long bytes, OverCap policy) {
		return new TargetCacheSettings(this.enabled, this.viewSets, this.folder, bytes, policy);
	}

	/**
	 * The bytes the cache will hold after every image has been seen with every view set:
	 * {@code images × viewSets × (N·D·2 + header)}.
	 */
	public long estimateBytes(int images, long patches, long dim) {
		return (long) images * this.viewSets * (patches * dim * 2 + SHARD_OVERHEAD_BYTES);
	}

	/** What to do when the estimated size exceeds the cap. */
	public enum OverCap {

		/** Refuse the run, stating the estimate and the cap. */
		REFUSE,

		/** Run without a cache, as the authors do, and warn. */
		DISABLE

	}

}
