package ai.phreg.model;

/** How a model summarizes an image in one vector ({@link ViTOutput#pooled()}). */
public enum Pooling {

	/** The normalized class token: DINOv2, DINOv3, CLIP (before its projection), timm. */
	CLASS_TOKEN,

	/**
	 * {@code fc_norm} of the mean of the patch tokens (timm {@code global_pool='avg'},
	 * EVA-02), whose final {@code norm} is then the identity.
	 */
	MEAN_PATCHES,

	/**
	 * SigLIP's multi-head attention pooling head ({@code attn_pool}, {@link MapHead})
	 * over the patch tokens (registers excluded, as timm's default
	 * {@code pool_include_prefix=False}).
	 */
	MAP

}
