package ai.phreg.distill;

/**
 * Where a training step spends its time, with the names the PyTorch reference benchmark
 * ({@code phreg_reference.py}) prints, so that the two can be compared phase by phase.
 */
public enum StepPhase {

	/** Waiting for the batch: decoding, resizing, cropping, normalizing. */
	DATA("data"),

	/** Building the shifted and mirrored views. */
	TEACHER_AUGMENT("teacher_augment"),

	/** The frozen teacher's passes over the views. */
	TEACHER_FORWARD("teacher_forward"),

	/** Moving view features back and averaging them by coverage. */
	TEACHER_RECOVER("teacher_recover"),

	/** Reading and writing cached targets. */
	TARGET_CACHE("target_cache"),

	/** The student's forward pass, the loss and the backward pass. */
	STUDENT_FWD_BWD("student_fwd_bwd"),

	/** The AdamW update. */
	OPTIMIZER("optimizer");

	private final String key;

	StepPhase(String key) {
		this.key = key;
	}

	/** The field name in the benchmarks' {@code phase_s}. */
	public String key() {
		return this.key;
	}

}
