package ai.phreg.distill;

import java.util.Objects;

import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.distill.registers.RegisterNeurons;

/**
 * How a run computes, as opposed to what ({@link DistillSettings}). The teacher chunk and
 * prefetching change only speed and memory, never the result; the target cache changes
 * which crops and plans are drawn, as {@link TargetCacheSettings} explains.
 *
 * @param teacherChunk view-images per teacher pass; 0 runs all {@code B·V} views at once,
 * as the authors do
 * @param prefetch whether the next batch is decoded, resized and cropped on a background
 * thread while the current step trains
 * @param teacherAhead whether that thread also computes the next batch's targets, so the
 * teacher and the student run at the same time, each on its own core (with one intra-op
 * thread each); needs {@code prefetch}
 * @param targetCache whether and where denoised targets are cached
 * @param determinism how exactly the run must repeat, in any process
 * @param teacherPrecision the number format the frozen teacher computes in; targets are
 * accumulated in float32 whatever it is
 * @param registerNeurons the teacher's register neurons, found beforehand on the training
 * images with the family's search, for targets with test-time registers; null when the
 * run finds them itself (the same neurons: the search is deterministic)
 */
public record ExecutionSettings(int teacherChunk, boolean prefetch, boolean teacherAhead,
		TargetCacheSettings targetCache, Determinism determinism, TeacherPrecision teacherPrecision,
		RegisterNeurons.Found registerNeurons) {

	/**
	 * View-images per teacher pass when nothing else is asked for: measured fastest on
	 * 2-core machines with ViT-S-sized teachers (see {@code bench/README.md}: 14.5 ms per
	 * view-image in passes of 4 against 19.5 in passes of 8, same sitting).
	 */
	public static final int DEFAULT_TEACHER_CHUNK = 4;

	public static final ExecutionSettings DEFAULT = new ExecutionSettings(DEFAULT_TEACHER_CHUNK, true, false,
			TargetCacheSettings.OFF, Determinism.DEFAULT, TeacherPrecision.FP32);

	public ExecutionSettings(int teacherChunk, boolean prefetch, boolean teacherAhead, TargetCacheSettings targetCache,
			Determinism determinism, TeacherPrecision teacherPrecision) {
		this(teacherChunk, prefetch, teacherAhead, targetCache, determinism, teacherPrecision, null);
	}

	public ExecutionSettings {
		Objects.requireNonNull(targetCache, "targetCache");
		Objects.requireNonNull(determinism, "determinism");
		Objects.requireNonNull(teacherPrecision, "teacherPrecision");
		if (teacherChunk < 0) {
			throw new IllegalArgumentException(
					"The teacher chunk must be 0 (all views at once) or positive, got " + teacherChunk);
		}
		if (teacherAhead && !prefetch) {
			throw new IllegalArgumentException("Computing the teacher ahead needs prefetching on");
		}
	}

	public ExecutionSettings withTeacherChunk(int chunk) {
		return new ExecutionSettings(chunk, this.prefetch, this.teacherAhead, this.targetCache, this.determinism,
				this.teacherPrecision, this.registerNeurons);
	}

	public ExecutionSettings withPrefetch(boolean enabled) {
		return new ExecutionSettings(this.teacherChunk, enabled, this.teacherAhead && enabled, this.targetCache,
				this.determinism, this.teacherPrecision, this.registerNeurons);
	}

	public ExecutionSettings withTeacherAhead(boolean enabled) {
		return new ExecutionSettings(this.teacherChunk, this.prefetch || enabled, enabled, this.targetCache,
				this.determinism, this.teacherPrecision, this.registerNeurons);
	}

	public ExecutionSettings withTargetCache(TargetCacheSettings cache) {
		return new ExecutionSettings(this.teacherChunk, this.prefetch, this.teacherAhead, cache, this.determinism,
				this.teacherPrecision, this.registerNeurons);
	}

	public ExecutionSettings withDeterminism(Determinism mode) {
		return new ExecutionSettings(this.teacherChunk, this.prefetch, this.teacherAhead, this.targetCache, mode,
				this.teacherPrecision, this.registerNeurons);
	}

	/** Runs with register neurons found beforehand rather than searching again. */
	public ExecutionSettings withRegisterNeurons(RegisterNeurons.Found found) {
		return new ExecutionSettings(this.teacherChunk, this.prefetch, this.teacherAhead, this.targetCache,
				this.determinism, this.teacherPrecision, found);
	}

	public ExecutionSettings withTeacherPrecision(TeacherPrecision precision) {
		return new ExecutionSettings(this.teacherChunk, this.prefetch, this.teacherAhead, this.targetCache,
				this.determinism, precision, this.registerNeurons);
	}

}
