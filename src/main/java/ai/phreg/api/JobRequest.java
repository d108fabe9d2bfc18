package ai.phreg.api;

import java.util.List;
import java.util.Objects;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.distill.TeacherPrecision;
import ai.phreg.distill.TargetSource;
import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.job.DistillSpec;
import ai.phreg.job.JobKind;
import ai.phreg.job.NeuronSearchOptions;
import ai.phreg.job.Unlock;
import ai.phreg.system.PhregProperties;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.media.Schema.RequiredMode;
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
@Schema(description = "A distillation or analysis job to queue. Absent optional fields take the defaults shown, "
		+ "or those of the teacher's family (GET /api/v1/jobs/defaults).")
record JobRequest(@Schema(
		description = "A checkpoint file or folder under an allowed root, or 'demo' for the built-in demo teacher",
		requiredMode = RequiredMode.REQUIRED) @NotBlank @Size(max = MAX_PATH) String teacher,
		@Schema(description = "A folder of JPEG/PNG images or a .tar of them under an allowed root, "
				+ "or 'demo' for the bundled sample photos",
				requiredMode = RequiredMode.REQUIRED) @NotBlank @Size(max = MAX_PATH) String images,
		@Schema(description = "Register tokens to add",
				defaultValue = "" + PaperDefaults.REGISTERS) @Min(1) @Max(64) Integer registers,
		@Schema(description = "Which parameters train", allowableValues = {
				"default", "registers-only", "custom" },
				defaultValue = "default") @EnumSpelling(Unlock.class) String unlock,
		@Schema(description = "Parameter-name globs that train when unlock is custom") List<@NotBlank String> unlockPatterns,
		@Schema(description = "Test-time views per image",
				defaultValue = "" + PaperDefaults.VIEWS) @Min(1) @Max(32) Integer views,
		@Schema(description = "The largest shift as a fraction of the patch grid",
				defaultValue = "" + PaperDefaults.SHIFT_FRACTION) @DecimalMin("0") @DecimalMax(value = "0.5",
						inclusive = false) Double shiftFraction,
		@Schema(description = "The square crop in pixels; absent for the teacher's native size") @Min(14) @Max(1024) Integer resolution,
		@Schema(description = "Images per optimizer step",
				defaultValue = "" + PaperDefaults.BATCH_SIZE) @Min(1) @Max(256) Integer batchSize,
		@Schema(description = "Passes over the images; give this or steps") @Min(1) @Max(10_000) Integer epochs,
		@Schema(description = "Optimizer steps, exactly; give this or epochs") @Min(1) @Max(10_000_000) Long steps,
		@Schema(description = "Initial learning rate; absent for the teacher family's") @Positive Double learningRate,
		@Schema(description = "Final learning rate of the cosine schedule; absent for the teacher family's") @Positive Double endLearningRate,
		@Schema(description = "AdamW's decoupled weight decay",
				defaultValue = "" + PaperDefaults.WEIGHT_DECAY) @PositiveOrZero Double weightDecay,
		@Schema(description = "The seed of every random choice", defaultValue = "0") Long seed,
		@Schema(description = "Where to train: auto, cpu or cuda:N", defaultValue = "auto") @Pattern(
				regexp = "auto|cpu|cuda:\\d{1,3}", message = "must be auto, cpu or cuda:N") String device,
		@Schema(description = "Optimizer steps between checkpoints; absent for the service's phreg.checkpoint-every") @Min(1) @Max(PhregProperties.MAX_CHECKPOINT_EVERY) Integer checkpointEvery,
		@ArraySchema(
				arraySchema = @Schema(description = "Checkpoint formats to export the student as; "
						+ "absent or empty for the teacher's own"),
				schema = @Schema(
						implementation = CheckpointFormat.class)) List<@EnumSpelling(CheckpointFormat.class) String> exportFormats,
		@Schema(description = "Held-out images for the artifact evaluation; absent for as many as the image count allows "
				+ "(at most " + PaperDefaults.HELD_OUT_IMAGES + ")") @Min(0) @Max(1000) Integer evaluationImages,
		@Schema(description = "The teacher's attention heads, for a checkpoint whose config does not say; "
				+ "absent to take them from the config") @Min(1) @Max(256) Integer heads,
		@Schema(description = "Whether the run gives bit-identical weights however often it is interrupted "
				+ "and resumed, at the cost of libtorch's intra-op parallelism",
				defaultValue = "false") Boolean deterministic,
		@Schema(description = "on: teacher targets are computed up front into the shared target cache and read back "
				+ "by training; off: computed every step", allowableValues = { "off", "on" },
				defaultValue = "off") @Pattern(regexp = "off|on", message = "must be off or on") String targetCache,
		@Schema(description = "Distinct (crop, views) draws per image the target cache holds, cycled through the epochs",
				defaultValue = "" + TargetCacheSettings.DEFAULT_VIEW_SETS) @Min(1) @Max(64) Integer viewSets,
		@Schema(description = "The number format the frozen teacher computes in; its targets are accumulated in "
				+ "float32 whatever it is. fp16 needs a CUDA device; bf16 is refused (DJL's PyTorch engine lacks it)",
				allowableValues = { "fp32", "bf16", "fp16" }, defaultValue = "fp32") @Pattern(regexp = "fp32|bf16|fp16",
						message = "must be fp32, bf16 or fp16") String teacherPrecision,
		@Schema(description = "Where the denoised targets come from: tta, the teacher over shifted views as in the "
				+ "paper; test-time-registers, one pass per image through the teacher with its register neurons "
				+ "moved to an extra token (found first on the training images); both, the views through that "
				+ "teacher", allowableValues = { "tta", "test-time-registers", "both" },
				defaultValue = "tta") @Pattern(regexp = "tta|test-time-registers|both",
						message = "must be tta, test-time-registers or both") String targets,
		@Schema(description = "What the job does: distill trains a student with registers; analyze trains nothing "
				+ "and reports where the teacher's register neurons are and how its artifacts compare with test-time "
				+ "augmentation, test-time registers and both (it takes only teacher, images, resolution, views, "
				+ "shiftFraction, seed, device, heads, evaluationImages and the register neuron search)",
				allowableValues = { "distill", "analyze" },
				defaultValue = "distill") @EnumSpelling(JobKind.class) String kind,
		@Schema(description = "Register neuron search: the block whose output norms mark the outlier tokens, "
				+ "negative from the end; absent for the teacher family's") @Min(-256) @Max(255) Integer outlierLayer,
		@Schema(description = "Register neuron search: the norm above which a token is an outlier; absent for the "
				+ "teacher family's, or the valley of the norm histogram") @Positive Double normThreshold,
		@Schema(description = "Register neuron search: the neurons kept, highest scores first; absent for the "
				+ "teacher family's") @Min(1) @Max(100_000) Integer topNeurons,
		@Schema(description = "Register neuron search: the last block whose neurons are considered; absent for the "
				+ "teacher family's") @Min(0) @Max(255) Integer highestLayer,
		@Schema(description = "Register neuron search: the images scanned at most",
				defaultValue = "" + RegisterNeuronSearch.DEFAULT_IMAGES) @Min(1) @Max(1_000_000) Integer neuronImages,
		@Schema(description = "Extra tokens test-time registers append",
				defaultValue = "" + TestTimeRegisters.DEFAULT_TOKENS) @Min(1) @Max(64) Integer testTimeRegisterTokens){

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
				this.viewSets, (this.teacherPrecision != null) ? TeacherPrecision.of(this.teacherPrecision) : null,
				TargetSource.ofLabel(or(this.targets, TargetSource.TTA.label())),
				(this.kind != null) ? JobKind.of(this.kind) : JobKind.DISTILL,
				new NeuronSearchOptions(this.outlierLayer, this.normThreshold, this.topNeurons, this.highestLayer,
						this.neuronImages, this.testTimeRegisterTokens));
	}

	private static <T> T or(T value, T fallback) {
		return Objects.requireNonNullElse(value, fallback);
	}

}
