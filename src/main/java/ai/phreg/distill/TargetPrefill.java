package ai.phreg.distill;

import java.io.IOException;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.imagesource.ImageSource;

/**
 * Computes a run's denoised teacher targets ahead of training, into its target cache: for
 * each image of a range and each view set training will visit, the crop and test-time
 * views training draws for it (the same seeds), through the cache, so a target already
 * stored is read back rather than recomputed, and what is written is exactly what
 * training reads.
 * <p>
 * Each image goes through the teacher on its own, so a target's bits never depend on
 * which other images share its range: any split of the images, over any number of threads
 * or processes with the same libtorch thread count, fills the cache with the same shards,
 * and a range computed twice (a redelivered or re-run partition) rewrites the same bytes.
 * One instance may fill several ranges at once from several threads.
 */
public final class TargetPrefill {

	/** Resized images kept while their view sets are computed: one at a time. */
	private static final long IMAGE_CACHE_BYTES = 64L << 20;

	private final DistillSettings settings;

	private final ExecutionSettings execution;

	private final LoadedModel teacher;

	private final TrainingBatches batches;

	private final CachedTargets cached;

	/** The teacher as the run uses it; its cast weights go with the manager. */
	private final TargetTeacher targetTeacher;

	private final NDManager manager;

	private final int images;

	private final int viewSets;

	private TargetPrefill(DistillSettings settings, ExecutionSettings execution, LoadedModel teacher,
			ImageSource images, TargetTeacher targetTeacher, CachedTargets cached, NDManager manager) {
		this.settings = settings;
		this.targetTeacher = targetTeacher;
		this.execution = execution;
		this.teacher = teacher;
		this.cached = cached;
		this.manager = manager;
		this.images = images.size();
		this.batches = new TrainingBatches(images, settings.resolution(), teacher.normalization(), settings.batchSize(),
				settings.seed(), IMAGE_CACHE_BYTES);
		long epochs = (settings.steps() + this.batches.stepsPerEpoch() - 1) / this.batches.stepsPerEpoch();
		this.viewSets = (int) Math.min(execution.targetCache().viewSets(), epochs);
	}

	/**
	 * The prefill of a run, or null when the run uses no target cache: it is off, or its
	 * estimate is over the cap and the settings say to run without it.
	 * @param images the training images, as the run will see them
	 * @param manager where the targets are computed; closed by the caller
	 * @throws IllegalArgumentException when the cache would exceed its cap and the
	 * settings say to refuse, or the device cannot run the teacher precision
	 */
	public static TargetPrefill open(DistillSettings settings, ExecutionSettings execution, LoadedModel teacher,
			ImageSource images, NDManager manager) {
		if (!execution.targetCache().enabled()) {
			return null;
		}
		DenoisedTargets denoiser = new DenoisedTargets(teacher.model().config().patchSize(), teacher.normalization());
		TargetTeacher targetTeacher = TargetTeacher.of(settings, teacher, images, execution, manager);
		CachedTargets cached = TargetCachePlanner.plan(settings, execution, teacher, targetTeacher.cacheKey(),
				images.size(), denoiser, manager);
		return (cached != null)
				? new TargetPrefill(settings, execution, teacher, images, targetTeacher, cached, manager) : null;
	}

	/** The training images. */
	public int images() {
		return this.images;
	}

	/**
	 * The view sets training visits: the cache's, or fewer when there are fewer epochs.
	 */
	public int viewSets() {
		return this.viewSets;
	}

	/**
	 * Deletes the cache's temporary files left by writers that died mid-write: for a
	 * range run again after its first run was killed.
	 * @return how many were deleted
	 */
	public int removeAbandonedWrites() throws IOException {
		return this.cached.cache().removeAbandonedWrites();
	}

	/**
	 * Makes sure the cache holds the targets of images {@code from} (inclusive) to
	 * {@code to} (exclusive) for every view set; returns how many images could not be
	 * read (training skips them too).
	 */
	public int fill(int from, int to) {
		if (from < 0 || to > this.images || from > to) {
			throw new IllegalArgumentException(
					"Images " + from + " to " + to + " are not a range of the " + this.images + " training images");
		}
		return this.execution.determinism().apply(() -> fillRange(from, to));
	}

	private int fillRange(int from, int to) {
		// Grad mode is per thread in libtorch: the teacher runs without it.
		JniUtils.setGradMode(false);
		int grid = this.settings.resolution() / this.teacher.model().config().patchSize();
		DenseFeatures teacherFeatures = this.targetTeacher.features();
		int unreadable = 0;
		for (int index = from; index < to; index++) {
			for (int round = 0; round < this.viewSets; round++) {
				TrainingBatches.PreparedBatch prepared = this.batches.prepareImages(new int[] { index }, round);
				if (prepared.samples().isEmpty()) {
					unreadable++;
					break;
				}
				try (NDManager owner = this.manager.newSubManager()) {
					this.cached.compute(teacherFeatures, new ParameterStore(owner, false), prepared.toBatch(owner),
							List.of(this.targetTeacher.plan(grid, round, index)), this.execution.teacherChunk(),
							new PhaseTimes());
				}
			}
		}
		return unreadable;
	}

}
