package ai.phreg.checkpoint;

import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.JsonNode;

/** What both DINOv2 layouts, torch.hub and Hugging Face, share when written. */
final class DinoV2Family {

	private DinoV2Family() {
	}

	/** What both DINOv2 layouts, hub and Hugging Face, require. */
	static LayoutProblems rules(ViTConfig config) {
		return new LayoutProblems()
			.require(config.patchBias(), "DINOv2's patch embedding has a bias, this model's has none")
			.require(!config.preNorm(), "DINOv2 has no LayerNorm before the first block, this model has one (ln_pre)")
			.require(config.classTokenPositioned(),
					"DINOv2's position embedding has a class-token row, this "
							+ "model's covers the patches only (timm no_embed_class)")
			.require(config.projectionDim() == 0, "DINOv2 has no output projection, this model has one (CLIP's proj)")
			.require(config.feedForward() == FeedForward.MLP || config.feedForward() == FeedForward.SWIGLU_PACKED,
					"DINOv2's feed-forward layer is an MLP or a packed SwiGLU (ViT-g), this model's is "
							+ config.feedForward())
			.require(config.feedForward().gated() || config.activation() == MlpActivation.GELU,
					"DINOv2's MLP uses exact GELU, this model's uses " + config.activation())
			.require(!config.feedForward().gated() || ConfigJson.swigluMlpRatio(config).isPresent(),
					"DINOv2's SwiGLU width is two thirds of int(width * mlp_ratio) rounded up to 8, which no "
							+ "mlp_ratio makes " + config.mlpHiddenDim())
			.requireMlpRatio(config);
	}

	/**
	 * The {@code mlp_ratio} DINOv2's code rebuilds this model's feed-forward width from;
	 * {@link #rules} make sure there is one.
	 */
	static JsonNode mlpRatio(ViTConfig config) {
		return config.feedForward().gated() ? ConfigJson.swigluMlpRatio(config).orElseThrow()
				: ConfigJson.mlpRatio(config);
	}

	/**
	 * DINOv2's mask token {@code [1, width]}: the carried one bit for bit, else zeros,
	 * which is what an untrained one holds.
	 */
	static void addMaskToken(String key, ViTConfig config, CarriedTensors carried, TensorSink sink) {
		carried.addMaskToken(key, new long[] { 1, config.embedDim() }, sink);
	}

}
