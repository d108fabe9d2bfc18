package ai.phreg.distill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.phreg.distill.cache.TargetCache;
import ai.phreg.distill.cache.TargetKey;

/**
 * Denoised targets through a {@link TargetCache}: each image's target is read back when a
 * trusted shard holds it, and only the others go through the teacher, in one chunked
 * pass, then are stored. Targets are rounded to float16 whether read or just computed, so
 * a step gives the same result in a fresh run and in a resumed one that finds the shards.
 */
final class CachedTargets {

	private final TargetCache cache;

	private final DenoisedTargets denoiser;

	private final String teacherKey;

	private final int resolution;

	private final double shiftFraction;

	private final long seed;

	private final long patches;

	private final long dim;

	CachedTargets(TargetCache cache, DenoisedTargets denoiser, String teacherKey, DistillSettings settings,
			long patches, long dim) {
		this.cache = cache;
		this.denoiser = denoiser;
		this.teacherKey = teacherKey;
		this.resolution = settings.resolution();
		this.shiftFraction = settings.shiftFraction();
		this.seed = settings.seed();
		this.patches = patches;
		this.dim = dim;
	}

	/**
	 * Targets for a batch and how many of them were read back rather than computed.
	 *
	 * @param values {@code (B, N, D)}
	 * @param hits the images whose target a trusted shard held
	 */
	record Read(NDArray values, int hits) {
	}

	/** Targets {@code (B, N, D)} for the batch, one plan per image. */
	Read compute(DenseFeatures teacher, ParameterStore store, TrainingBatches.Batch batch, List<TtaPlan> plans,
			int chunk, PhaseTimes times) {
		long mark = System.nanoTime();
		NDManager manager = batch.pixels().getManager();
		List<TrainingBatches.Sample> samples = batch.samples();
		NDArray[] targets = new NDArray[samples.size()];
		List<Integer> missing = new ArrayList<>();
		for (int k = 0; k < targets.length; k++) {
			targets[k] = this.cache.read(keyOf(samples.get(k), plans.get(k)), this.patches, this.dim, manager);
			if (targets[k] == null) {
				missing.add(k);
			}
		}
		times.record(StepPhase.TARGET_CACHE, mark);
		if (!missing.isEmpty()) {
			NDArray pixels = batch.pixels()
				.get(manager.create(missing.stream().mapToLong(Integer::longValue).toArray()));
			List<TtaPlan> missingPlans = missing.stream().map(plans::get).toList();
			NDArray computed = this.denoiser.compute(teacher, store, pixels, missingPlans, chunk, times)
				.toType(DataType.FLOAT16, false)
				.toType(DataType.FLOAT32, false);
			mark = System.nanoTime();
			for (int j = 0; j < missing.size(); j++) {
				int k = missing.get(j);
				targets[k] = computed.get(j);
				write(keyOf(samples.get(k), plans.get(k)), targets[k]);
			}
			times.record(StepPhase.TARGET_CACHE, mark);
		}
		return new Read(NDArrays.stack(new NDList(targets)), targets.length - missing.size());
	}

	/**
	 * Whether the cache holds a shard for every image of the batch, so that its targets
	 * are a read, not a teacher pass.
	 */
	boolean holdsAll(TrainingBatches.Batch batch, List<TtaPlan> plans) {
		List<TrainingBatches.Sample> samples = batch.samples();
		for (int k = 0; k < samples.size(); k++) {
			if (!this.cache.holds(keyOf(samples.get(k), plans.get(k)))) {
				return false;
			}
		}
		return true;
	}

	TargetCache cache() {
		return this.cache;
	}

	private void write(TargetKey key, NDArray target) {
		try {
			this.cache.write(key, target);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not store a teacher target in " + this.cache.folder()
					+ ": free some space there or turn the target cache off (" + ex.getMessage() + ")", ex);
		}
	}

	private TargetKey keyOf(TrainingBatches.Sample sample, TtaPlan plan) {
		return new TargetKey(this.teacherKey, sample.imageDigest(), this.resolution, sample.top(), sample.left(),
				describe(plan), this.shiftFraction, this.seed);
	}

	private static String describe(TtaPlan plan) {
		return plan.views()
			.stream()
			.map((view) -> view.dy() + "," + view.dx() + "," + (view.flip() ? 1 : 0))
			.collect(Collectors.joining(";"));
	}

}
