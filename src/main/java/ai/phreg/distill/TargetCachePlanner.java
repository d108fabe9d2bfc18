package ai.phreg.distill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.cache.Digests;
import ai.phreg.distill.cache.TargetCache;
import ai.phreg.distill.cache.TargetCacheSettings;

/**
 * Decides before a run whether its target cache is used: estimates the size the cache
 * will reach, states it, and refuses the run or drops the cache when the estimate is over
 * the cap, as the settings say.
 */
final class TargetCachePlanner {

	private static final System.Logger LOG = System.getLogger(TargetCachePlanner.class.getName());

	private TargetCachePlanner() {
	}

	/**
	 * The cache for this run, or null when it runs without one.
	 * @param targetsKey what the targets depend on beyond the teacher's weights, family
	 * and precision ({@link TargetTeacher#cacheKey()})
	 */
	static CachedTargets plan(DistillSettings settings, ExecutionSettings execution, LoadedModel teacher,
			String targetsKey, int images, DenoisedTargets denoiser, NDManager manager) {
		TargetCacheSettings cacheSettings = execution.targetCache();
		if (!cacheSettings.enabled()) {
			return null;
		}
		int grid = settings.resolution() / teacher.model().config().patchSize();
		long patches = (long) grid * grid;
		long dim = featureDim(teacher, settings.resolution(), manager);
		long estimate = cacheSettings.estimateBytes(images, patches, dim);
		String figures = String.format(Locale.ROOT,
				"%s for %d images x %d view sets of %d x %d float16 targets; cap %s", size(estimate), images,
				cacheSettings.viewSets(), patches, dim, size(cacheSettings.capBytes()));
		if (estimate > cacheSettings.capBytes()) {
			if (cacheSettings.overCap() == TargetCacheSettings.OverCap.REFUSE) {
				throw new IllegalArgumentException("The teacher target cache would need " + figures
						+ ". Raise the cap, use fewer view sets, or turn the target cache off.");
			}
			LOG.log(System.Logger.Level.WARNING, "Target cache off for this run: it would need " + figures
					+ ". Targets are computed every step instead.");
			return null;
		}
		LOG.log(System.Logger.Level.INFO, "Target cache in " + cacheSettings.folder() + ": " + figures);
		try {
			return new CachedTargets(new TargetCache(cacheSettings.folder()), denoiser,
					teacherKey(teacher, execution.teacherPrecision()) + targetsKey, settings, patches, dim);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot create the target cache folder " + cacheSettings.folder()
					+ ": choose a writable folder or turn the target cache off", ex);
		}
	}

	/**
	 * What identifies the teacher's targets: its weights, its dense head and, when not
	 * float32, the precision it ran in (float32 keys are those written before the option
	 * existed).
	 */
	static String teacherKey(LoadedModel teacher, TeacherPrecision precision) {
		String key = Digests.ofModel(teacher.model()) + "/" + teacher.format();
		return (precision == TeacherPrecision.FP32) ? key : key + "/" + precision.spelling();
	}

	/**
	 * The width of the teacher's dense features, from one pass over a blank image: the
	 * embedding width for DINOv2 and timm, the projection's for CLIP.
	 */
	private static long featureDim(LoadedModel teacher, int resolution, NDManager manager) {
		JniUtils.setGradMode(false);
		try (NDManager probe = manager.newSubManager()) {
			NDArray blank = probe.zeros(new Shape(1, 3, resolution, resolution));
			return DenseHeads.teacher(teacher).of(new ParameterStore(probe, false), blank, false).getShape().get(2);
		}
	}

	private static String size(long bytes) {
		return (bytes < (1L << 30)) ? String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20))
				: String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
	}

}
