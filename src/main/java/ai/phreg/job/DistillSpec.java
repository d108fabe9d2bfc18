package ai.phreg.job;

import java.util.List;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.TeacherPrecision;
import ai.phreg.distill.TargetSource;
import ai.phreg.distill.cache.TargetCacheSettings;

/**
 * What a user asks for: a distillation of one teacher over one image source or, when its
 * {@code kind} is {@link JobKind#ANALYZE}, an analysis of the teacher's artifacts without
 * training (which takes only the teacher, images, resolution, views, shift fraction,
 * seed, device, heads, evaluation images and neuron search; its other values are the
 * defaults and mean nothing). Absent optional values (null) take the paper's defaults for
 * the teacher's family, and defaults that depend on the data adapt to it, when the job is
 * prepared ({@link ResolvedJob}).
 *
 * @param teacher a checkpoint file or folder under an allowed root, or {@code demo} for
 * the built-in synthetic demo teacher
 * @param images a folder of JPEG/PNG images or a {@code .tar} of them under an allowed
 * root, or {@code demo} for the bundled sample photos
 * @param registers register tokens to add
 * @param unlock which parameters train
 * @param unlockPatterns parameter-name globs for {@link Unlock#CUSTOM}
 * @param views test-time views per image
 * @param shiftFraction the largest shift as a fraction of the patch grid
 * @param resolution the square crop in pixels, null for the teacher's native size
 * @param batchSize images per step
 * @param epochs passes over the images, or null when {@code steps} is given
 * @param steps optimizer steps, exactly, or null when {@code epochs} is given
 * @param learningRate initial learning rate, null for the family default
 * @param endLearningRate final learning rate, null for the family default
 * @param weightDecay AdamW's decoupled weight decay
 * @param seed the seed of every random choice
 * @param device {@code auto}, {@code cpu} or {@code cuda:N}
 * @param checkpointEvery optimizer steps between checkpoints
 * @param exportFormats checkpoint formats to export; empty for the teacher's own
 * @param evaluationImages held-out images for the artifact evaluation, null for as many
 * as the image count allows (at most 8)
 * @param heads the teacher's attention heads, for a checkpoint whose config does not say
 * (never guessed); null to take them from the config
 * @param deterministic whether the run must give bit-identical weights however often it
 * is interrupted and resumed, at the cost of libtorch's intra-op parallelism
 * ({@link ai.phreg.distill.Determinism#EXACT}); never null, absent means false
 * @param targetCache whether denoised teacher targets are computed up front by the
 * partitioned {@code targets} step into the shared target cache and read back by
 * training; never null, absent means false (targets computed every step)
 * @param viewSets distinct (crop, views) draws per image the cache holds, cycled through
 * the epochs; never null, absent means {@link TargetCacheSettings#DEFAULT_VIEW_SETS}
 * @param teacherPrecision the number format the frozen teacher computes in (targets are
 * accumulated in float32 whatever it is); never null, absent means
 * {@link TeacherPrecision#FP32}
 * @param targets where the denoised targets come from; never null, absent means
 * {@link TargetSource#TTA}
 * @param kind what the job does; never null, absent means {@link JobKind#DISTILL}
 * @param neuronSearch how the register neurons are found, for analyze jobs and targets
 * with test-time registers; never null, absent means the family's defaults
 */
public record DistillSpec(String teacher, String images, int registers, Unlock unlock, List<String> unlockPatterns,
		int views, double shiftFraction, Integer resolution, int batchSize, Integer epochs, Long steps,
		Double learningRate, Double endLearningRate, double weightDecay, long seed, String device, int checkpointEvery,
		List<CheckpointFormat> exportFormats, Integer evaluationImages, Integer heads, Boolean deterministic,
		Boolean targetCache, Integer viewSets, TeacherPrecision teacherPrecision, TargetSource targets, JobKind kind,
		NeuronSearchOptions neuronSearch) {

	/** A distillation with the family's register neuron search. */
	public DistillSpec(String teacher, String images, int registers, Unlock unlock, List<String> unlockPatterns,
			int views, double shiftFraction, Integer resolution, int batchSize, Integer epochs, Long steps,
			Double learningRate, Double endLearningRate, double weightDecay, long seed, String device,
			int checkpointEvery, List<CheckpointFormat> exportFormats, Integer evaluationImages, Integer heads,
			Boolean deterministic, Boolean targetCache, Integer viewSets, TeacherPrecision teacherPrecision,
			TargetSource targets) {
		this(teacher, images, registers, unlock, unlockPatterns, views, shiftFraction, resolution, batchSize, epochs,
				steps, learningRate, endLearningRate, weightDecay, seed, device, checkpointEvery, exportFormats,
				evaluationImages, heads, deterministic, targetCache, viewSets, teacherPrecision, targets,
				JobKind.DISTILL, NeuronSearchOptions.DEFAULTS);
	}

	/**
	 * A spec whose teacher computes in float32 and whose targets come from test-time
	 * augmentation, as the paper's.
	 */
	public DistillSpec(String teacher, String images, int registers, Unlock unlock, List<String> unlockPatterns,
			int views, double shiftFraction, Integer resolution, int batchSize, Integer epochs, Long steps,
			Double learningRate, Double endLearningRate, double weightDecay, long seed, String device,
			int checkpointEvery, List<CheckpointFormat> exportFormats, Integer evaluationImages, Integer heads,
			Boolean deterministic, Boolean targetCache, Integer viewSets) {
		this(teacher, images, registers, unlock, unlockPatterns, views, shiftFraction, resolution, batchSize, epochs,
				steps, learningRate, endLearningRate, weightDecay, seed, device, checkpointEvery, exportFormats,
				evaluationImages, heads, deterministic, targetCache, viewSets, TeacherPrecision.FP32, TargetSource.TTA);
	}

	public DistillSpec {
		unlockPatterns = (unlockPatterns != null) ? List.copyOf(unlockPatterns) : List.of();
		exportFormats = (exportFormats != null) ? List.copyOf(exportFormats) : List.of();
		// Specs stored before the option existed read as not deterministic.
		deterministic = Boolean.TRUE.equals(deterministic);
		targetCache = Boolean.TRUE.equals(targetCache);
		viewSets = (viewSets != null) ? viewSets : TargetCacheSettings.DEFAULT_VIEW_SETS;
		// Specs stored before the option existed ran the teacher in float32.
		teacherPrecision = (teacherPrecision != null) ? teacherPrecision : TeacherPrecision.FP32;
		targets = (targets != null) ? targets : TargetSource.TTA;
		// Specs stored before analyze jobs existed are distillations.
		kind = (kind != null) ? kind : JobKind.DISTILL;
		neuronSearch = (neuronSearch != null) ? neuronSearch : NeuronSearchOptions.DEFAULTS;
	}

	boolean isAnalysis() {
		return this.kind == JobKind.ANALYZE;
	}

}
