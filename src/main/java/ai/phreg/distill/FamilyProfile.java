package ai.phreg.distill;

import java.util.EnumSet;
import java.util.Set;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.model.RegisterPlacement;

/**
 * What PH-Reg does differently per checkpoint family: the paper's learning rates, where
 * registers go, the formats a student of the family can be written to and whether its
 * checkpoint is one file or a folder. The dense head each family is distilled through is
 * {@link DenseHeads}; the pixel normalization comes with each checkpoint.
 */
public enum FamilyProfile {

	/** DINOv2 through torch.hub: one {@code .safetensors} file. */
	DINOV2_HUB(CheckpointFormat.DINOV2_HUB, 1e-4, 5e-6, true, CheckpointFormat.DINOV2_HUB, CheckpointFormat.DINOV2_HF,
			CheckpointFormat.TIMM),

	/** DINOv2 through Hugging Face transformers: a folder with {@code config.json}. */
	DINOV2_HF(CheckpointFormat.DINOV2_HF, 1e-4, 5e-6, false, CheckpointFormat.DINOV2_HF, CheckpointFormat.DINOV2_HUB,
			CheckpointFormat.TIMM),

	/**
	 * CLIP's visual tower: the paper trains it at a higher rate. Only CLIP's own layout
	 * holds its pre-norm and projection.
	 */
	CLIP_OPENAI(CheckpointFormat.CLIP_OPENAI, 3e-4, 1e-5, false, CheckpointFormat.CLIP_OPENAI),

	/**
	 * timm ViTs come in many variants (with or without LayerScale, class-token position
	 * rows): only timm's own layout is sure to hold them.
	 */
	TIMM(CheckpointFormat.TIMM, 1e-4, 5e-6, false, CheckpointFormat.TIMM),

	/**
	 * DINOv3 in its original layout (one {@code .safetensors} file): DINOv2's rates.
	 * Storage tokens count as the teacher's own registers; new registers follow them and
	 * get no RoPE, in both DINOv3 layouts.
	 */
	DINOV3(CheckpointFormat.DINOV3, 1e-4, 5e-6, true, CheckpointFormat.DINOV3, CheckpointFormat.DINOV3_HF),

	/** DINOv3 through Hugging Face transformers ({@code DINOv3ViTModel}). */
	DINOV3_HF(CheckpointFormat.DINOV3_HF, 1e-4, 5e-6, false, CheckpointFormat.DINOV3_HF, CheckpointFormat.DINOV3),

	/**
	 * EVA-02 in timm's layout, written as timm's hub folder ({@code config.json} with
	 * {@code model_args}).
	 */
	EVA02_TIMM(CheckpointFormat.EVA02_TIMM, 1e-4, 5e-6, false, CheckpointFormat.EVA02_TIMM),

	/**
	 * SigLIP in timm's layout, written as timm's hub folder. Without a class token,
	 * registers open the sequence (before the patches, as timm's {@code reg_token}).
	 */
	SIGLIP_TIMM(CheckpointFormat.SIGLIP_TIMM, 1e-4, 5e-6, false, CheckpointFormat.SIGLIP_TIMM),

	/** SigLIP through Hugging Face transformers ({@code SiglipVisionModel}). */
	SIGLIP_HF(CheckpointFormat.SIGLIP_HF, 1e-4, 5e-6, false, CheckpointFormat.SIGLIP_HF);

	private final CheckpointFormat format;

	private final double learningRate;

	private final double endLearningRate;

	private final boolean singleFile;

	private final Set<CheckpointFormat> exportFormats;

	FamilyProfile(CheckpointFormat format, double learningRate, double endLearningRate, boolean singleFile,
			CheckpointFormat own, CheckpointFormat... others) {
		this.format = format;
		this.learningRate = learningRate;
		this.endLearningRate = endLearningRate;
		this.singleFile = singleFile;
		this.exportFormats = EnumSet.of(own, others);
	}

	public static FamilyProfile of(CheckpointFormat format) {
		return valueOf(format.name());
	}

	public CheckpointFormat format() {
		return this.format;
	}

	/** The paper's initial learning rate for this family. */
	public double learningRate() {
		return this.learningRate;
	}

	/** The paper's final learning rate for this family. */
	public double endLearningRate() {
		return this.endLearningRate;
	}

	public RegisterPlacement registerPlacement() {
		return this.format.registerPlacement();
	}

	/** Whether a checkpoint of this family is one file rather than a folder. */
	public boolean isSingleFile() {
		return this.singleFile;
	}

	/** The formats a student of this family can be exported as, its own included. */
	public Set<CheckpointFormat> exportFormats() {
		return this.exportFormats;
	}

}
