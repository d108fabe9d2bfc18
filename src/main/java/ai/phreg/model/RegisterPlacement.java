package ai.phreg.model;

/**
 * Where register tokens sit in the token sequence. Registers never receive a position
 * embedding.
 */
public enum RegisterPlacement {

	/** {@code [CLS, registers, patches]}: DINOv2 (hub and Hugging Face) and timm. */
	AFTER_CLASS_TOKEN,

	/** {@code [CLS, patches, registers]}: PH-Reg's CLIP students. */
	AFTER_PATCHES

}
