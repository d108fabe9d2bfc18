package ai.phreg.checkpoint;

/** The checkpoint layouts phreg reads and writes. */
public enum CheckpointFormat {

	/**
	 * facebookresearch/dinov2 torch.hub state dicts ({@code blocks.<i>.attn.qkv},
	 * {@code mask_token}).
	 */
	DINOV2_HUB("DINOv2, torch.hub key names"),

	/**
	 * Hugging Face {@code Dinov2Model} and {@code Dinov2WithRegistersModel} with
	 * {@code config.json}.
	 */
	DINOV2_HF("DINOv2, Hugging Face transformers key names"),

	/**
	 * The visual tower of OpenAI CLIP, OpenCLIP and DFN checkpoints
	 * ({@code visual.conv1}, {@code ln_pre}).
	 */
	CLIP_OPENAI("CLIP visual tower, OpenAI/OpenCLIP key names"),

	/** timm {@code VisionTransformer}: DeiT-III, AugReg, {@code *_reg*} models. */
	TIMM("timm VisionTransformer key names");

	private final String description;

	CheckpointFormat(String description) {
		this.description = description;
	}

	public String description() {
		return this.description;
	}

}
