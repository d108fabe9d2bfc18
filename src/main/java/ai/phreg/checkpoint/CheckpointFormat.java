package ai.phreg.checkpoint;

import ai.phreg.model.RegisterPlacement;

/** The checkpoint layouts phreg reads and writes. */
public enum CheckpointFormat {

	/**
	 * facebookresearch/dinov2 torch.hub state dicts ({@code blocks.<i>.attn.qkv},
	 * {@code mask_token}).
	 */
	DINOV2_HUB("DINOv2, torch.hub key names", RegisterPlacement.AFTER_CLASS_TOKEN),

	/**
	 * Hugging Face {@code Dinov2Model} and {@code Dinov2WithRegistersModel} with
	 * {@code config.json}.
	 */
	DINOV2_HF("DINOv2, Hugging Face transformers key names", RegisterPlacement.AFTER_CLASS_TOKEN),

	/**
	 * The visual tower of OpenAI CLIP, OpenCLIP and DFN checkpoints
	 * ({@code visual.conv1}, {@code ln_pre}).
	 */
	CLIP_OPENAI("CLIP visual tower, OpenAI/OpenCLIP key names", RegisterPlacement.AFTER_PATCHES),

	/** timm {@code VisionTransformer}: DeiT-III, AugReg, {@code *_reg*} models. */
	TIMM("timm VisionTransformer key names", RegisterPlacement.AFTER_CLASS_TOKEN),

	/**
	 * facebookresearch/dinov3 state dicts ({@code storage_tokens},
	 * {@code rope_embed.periods}, masked qkv key bias); storage tokens are registers.
	 */
	DINOV3("DINOv3, original repository key names", RegisterPlacement.AFTER_CLASS_TOKEN),

	/** Hugging Face {@code DINOv3ViTModel} with {@code config.json}. */
	DINOV3_HF("DINOv3, Hugging Face transformers key names", RegisterPlacement.AFTER_CLASS_TOKEN),

	/**
	 * timm {@code Eva} (EVA-02): RoPE, {@code q_bias}/{@code v_bias}, SwiGLU with an
	 * inner LayerNorm.
	 */
	EVA02_TIMM("EVA-02, timm Eva key names", RegisterPlacement.AFTER_CLASS_TOKEN),

	/**
	 * timm {@code VisionTransformer} SigLIP towers ({@code vit_*_siglip*}): no class
	 * token, MAP head ({@code attn_pool}).
	 */
	SIGLIP_TIMM("SigLIP vision tower, timm key names", RegisterPlacement.AFTER_CLASS_TOKEN),

	/** Hugging Face {@code SiglipVisionModel} ({@code vision_model.*}). */
	SIGLIP_HF("SigLIP vision tower, Hugging Face transformers key names", RegisterPlacement.AFTER_CLASS_TOKEN);

	private final String description;

	private final RegisterPlacement registerPlacement;

	CheckpointFormat(String description, RegisterPlacement registerPlacement) {
		this.description = description;
		this.registerPlacement = registerPlacement;
	}

	public String description() {
		return this.description;
	}

	/**
	 * The model family, as people name it ("DINOv3", "SigLIP", "EVA-02"), whatever the
	 * layout; {@link #description()} adds the layout.
	 */
	public String family() {
		return switch (this) {
			case DINOV2_HUB, DINOV2_HF -> "DINOv2";
			case CLIP_OPENAI -> "CLIP";
			case TIMM -> "ViT (timm)";
			case DINOV3, DINOV3_HF -> "DINOv3";
			case EVA02_TIMM -> "EVA-02";
			case SIGLIP_TIMM, SIGLIP_HF -> "SigLIP";
		};
	}

	/**
	 * Where this family's models, and PH-Reg students of them, put register tokens: the
	 * loader, the student and the exporter must agree on the token order.
	 */
	public RegisterPlacement registerPlacement() {
		return this.registerPlacement;
	}

}
