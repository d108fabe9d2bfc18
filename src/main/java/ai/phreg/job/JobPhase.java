package ai.phreg.job;

import java.util.Arrays;
import java.util.Locale;

/**
 * The steps of {@code distillJob} (validate → prepare → neurons → targets → distill →
 * evaluate → export) and of {@code analyzeJob} (validate → prepare → neurons → compare →
 * report): what a launched job is doing, or did last.
 */
public enum JobPhase {

	/** Checks the spec against the files as they are when the job runs. */
	VALIDATE,

	/** Resolves the job once: family, settings, split, step count. */
	PREPARE,

	/**
	 * Finds the teacher's register neurons: an analyze job's search, or the one a
	 * distillation with test-time registers needs; nothing to do for other distillations.
	 */
	NEURONS,

	/**
	 * Fills the target cache with the teacher's denoised targets, partitioned by image
	 * shards over local threads or remote workers; nothing to do without a target cache.
	 */
	TARGETS,

	/** Trains the student, checkpointing as it goes. */
	DISTILL,

	/** Measures teacher and student on the held-out images. */
	EVALUATE,

	/** Writes the student in every requested format and the report. */
	EXPORT,

	/**
	 * Analyze: measures and pictures the teacher against denoised views, test-time
	 * registers and both.
	 */
	COMPARE,

	/** Analyze: writes the report. */
	REPORT;

	/** The name of the Spring Batch step of this phase. */
	public String stepName() {
		return name().toLowerCase(Locale.ROOT);
	}

	/** The phase of a step, or null for a step of no phase. */
	static JobPhase ofStep(String stepName) {
		return Arrays.stream(values()).filter((phase) -> phase.stepName().equals(stepName)).findFirst().orElse(null);
	}

}
