package ai.phreg.api;

import java.util.List;
import java.util.Objects;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.job.DistillSpec;
import ai.phreg.job.Unlock;
import ai.phreg.system.PhregProperties;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST /api/v1/jobs}. Everything but {@code teacher}, {@code images}
 * and one of {@code epochs} or {@code steps} is optional; {@link #toSpec} fills in the
 * defaults. The meaning of each field is documented on {@link DistillSpec}.
 */
@ConsistentJobRequest
record JobRequest(@NotBlank @Size(max = MAX_PATH) String teacher, @NotBlank @Size(max = MAX_PATH) String images,
		@Min(1) @Max(64) Integer registers, @EnumSpelling(Unlock.class) String unlock,
		List<@NotBlank String> unlockPatterns, @Min(1) @Max(32) Integer views,
		@DecimalMin("0") @DecimalMax(value = "0.5", inclusive = false) Double shiftFraction,
		@Min(14) @Max(1024) Integer resolution, @Min(1) @Max(256) Integer batchSize,
		@Min(1) @Max(10_000) Integer epochs, @Min(1) @Max(10_000_000) Long steps, @Positive Double learningRate,
		@Positive Double endLearningRate, @PositiveOrZero Double weightDecay, Long seed,
		@Pattern(regexp = "auto|cpu|cuda:\\d{1,3}", message = "must be auto, cpu or cuda:N") String device,
		@Min(1) @Max(PhregProperties.MAX_CHECKPOINT_EVERY) Integer checkpointEvery,
		List<@EnumSpelling(CheckpointFormat.class) String> exportFormats, @Min(0) @Max(1000) Integer evaluationImages,
		@Min(1) @Max(256) Integer heads, Boolean deterministic,
		@Pattern(regexp = "off|on", message = "must be off or on") String targetCache,
		@Min(1) @Max(64) Integer viewSets) {

	// Generous for any real path, small enough to keep absurd bodies out of messages.
	private static final int MAX_PATH = 4096;

	/**
	 * The spec with the paper's defaults for absent values; defaults that depend on the
	 * teacher or the images stay absent until the job is prepared.
	 * @param defaultCheckpointEvery the server's {@code phreg.checkpoint-every}
	 */
	DistillSpec toSpec(int defaultCheckpointEvery) {
		return new DistillSpec(this.teacher, this.images, or(this.registers, PaperDefaults.REGISTERS),
				(this.unlock != null) ? Unlock.of(this.unlock) : Unlock.DEFAULT, this.unlockPatterns,
				or(this.views, PaperDefaults.VIEWS), or(this.shiftFraction, PaperDefaults.SHIFT_FRACTION),
				this.resolution, or(this.batchSize, PaperDefaults.BATCH_SIZE), this.epochs, this.steps,
				this.learningRate, this.endLearningRate, or(this.weightDecay, PaperDefaults.WEIGHT_DECAY),
				or(this.seed, 0L), or(this.device, "auto"), or(this.checkpointEvery, defaultCheckpointEvery),
				(this.exportFormats != null) ? this.exportFormats.stream().map(CheckpointFormat::valueOf).toList()
						: List.of(),
				this.evaluationImages, this.heads, or(this.deterministic, false), "on".equals(this.targetCache),
				this.viewSets);
	}

	private static <T> T or(T value, T fallback) {
		return Objects.requireNonNullElse(value, fallback);
	}

}
