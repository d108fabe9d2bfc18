package ai.phreg.model;

import java.util.Objects;

/**
 * The architecture of a Vision Transformer, enough to build a {@link VisionTransformer}
 * whose forward pass matches the upstream implementation of its family.
 *
 * @param imageSize the native input side in pixels; the position-embedding grid is
 * {@code imageSize / patchSize} patches square
 * @param patchSize the patch side in pixels
 * @param embedDim the token width D
 * @param depth the number of transformer blocks
 * @param numHeads the number of attention heads; D must be a multiple of it
 * @param mlpHiddenDim the hidden width of each block's feed-forward branch (for gated
 * ones, the width of the gated product)
 * @param qkvBias whether the fused qkv projection has a bias
 * @param patchBias whether the patch-embedding convolution has a bias (CLIP's has none)
 * @param layerScale whether each residual branch is scaled per channel (DINOv2, DeiT-III)
 * @param preNorm whether a LayerNorm runs before the first block (CLIP's {@code ln_pre})
 * @param layerNormEps the epsilon of every LayerNorm
 * @param activation the MLP nonlinearity
 * @param numRegisters the number of register tokens, 0 for none
 * @param registerPlacement where registers sit in the token sequence
 * @param classTokenPositioned whether the position embedding has a slot for the class
 * token (false for timm's {@code no_embed_class} models, whose embedding covers the
 * patches only)
 * @param positionResampling how the position-embedding grid is resized for other input
 * sizes
 * @param projectionDim the output width of CLIP's {@code proj} on the class token, 0 for
 * none
 * @param feedForward the feed-forward variant of every block
 * @param positionEmbedding whether a learned position embedding is added (DINOv3 has
 * none: position enters through RoPE only)
 * @param maskedKeyBias whether the key third of the qkv bias is switched off (DINOv3,
 * EVA-02)
 * @param rope the rotary embedding of the patch tokens, null for none
 * @param classToken whether the sequence starts with a class token (SigLIP has none)
 * @param finalNorm whether a LayerNorm ends the trunk (EVA-02's is the identity, its
 * pooled vector has {@code fc_norm} instead)
 * @param pooling how the pooled vector is computed
 */
public record ViTConfig(int imageSize, int patchSize, int embedDim, int depth, int numHeads, int mlpHiddenDim,
		boolean qkvBias, boolean patchBias, boolean layerScale, boolean preNorm, float layerNormEps,
		MlpActivation activation, int numRegisters, RegisterPlacement registerPlacement, boolean classTokenPositioned,
		PositionResampling positionResampling, int projectionDim, FeedForward feedForward, boolean positionEmbedding,
		boolean maskedKeyBias, RotaryEmbedding rope, boolean classToken, boolean finalNorm, Pooling pooling) {

	public ViTConfig {
		Objects.requireNonNull(activation, "activation");
		Objects.requireNonNull(feedForward, "feedForward");
		Objects.requireNonNull(pooling, "pooling");
		Objects.requireNonNull(registerPlacement, "registerPlacement");
		Objects.requireNonNull(positionResampling, "positionResampling");
		require(patchSize > 0, "patchSize must be positive, got " + patchSize);
		require(imageSize > 0 && imageSize % patchSize == 0,
				"imageSize " + imageSize + " must be a positive multiple of patchSize " + patchSize);
		require(embedDim > 0 && depth > 0 && mlpHiddenDim > 0, "embedDim, depth and mlpHiddenDim must be positive, got "
				+ embedDim + ", " + depth + ", " + mlpHiddenDim);
		require(numHeads > 0 && embedDim % numHeads == 0,
				"embedDim " + embedDim + " is not divisible into " + numHeads + " heads");
		require(numRegisters >= 0, "numRegisters must not be negative, got " + numRegisters);
		require(projectionDim >= 0, "projectionDim must not be negative, got " + projectionDim);
		require(layerNormEps > 0, "layerNormEps must be positive, got " + layerNormEps);
		require(classToken || (pooling != Pooling.CLASS_TOKEN && projectionDim == 0 && !classTokenPositioned),
				"a model without class token needs another pooling, no class-token position and no projection");
		require(rope == null || (embedDim / numHeads) % 4 == 0,
				"RoPE needs a head width divisible by 4, got " + embedDim / numHeads);
	}

	private static void require(boolean condition, String message) {
		if (!condition) {
			throw new IllegalArgumentException(message);
		}
	}

	/** The side of the native position-embedding grid in patches. */
	public int gridSize() {
		return this.imageSize / this.patchSize;
	}

	/** The number of rows of the learned position embedding. */
	public int positionEmbeddingLength() {
		return this.gridSize() * this.gridSize() + (this.classTokenPositioned ? 1 : 0);
	}

	/** The tokens before the registers and patches: the class token, if any. */
	public int classTokens() {
		return this.classToken ? 1 : 0;
	}

	public int headDim() {
		return this.embedDim / this.numHeads;
	}

	/** A builder holding this config's values, to derive a variant. */
	public Builder toBuilder() {
		return builder().setImageSize(this.imageSize)
			.setPatchSize(this.patchSize)
			.setEmbedDim(this.embedDim)
			.setDepth(this.depth)
			.setNumHeads(this.numHeads)
			.setMlpHiddenDim(this.mlpHiddenDim)
			.optQkvBias(this.qkvBias)
			.optPatchBias(this.patchBias)
			.optLayerScale(this.layerScale)
			.optPreNorm(this.preNorm)
			.optLayerNormEps(this.layerNormEps)
			.optActivation(this.activation)
			.optRegisters(this.numRegisters, this.registerPlacement)
			.optClassTokenPositioned(this.classTokenPositioned)
			.optPositionResampling(this.positionResampling)
			.optProjectionDim(this.projectionDim)
			.optFeedForward(this.feedForward)
			.optPositionEmbedding(this.positionEmbedding)
			.optMaskedKeyBias(this.maskedKeyBias)
			.optRope(this.rope)
			.optClassToken(this.classToken)
			.optFinalNorm(this.finalNorm)
			.optPooling(this.pooling);
	}

	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Builds a config: {@code set*} for what every checkpoint determines, {@code opt*}
	 * for what differs between families (defaults: DINOv2/timm style without registers).
	 */
	public static final class Builder {

		private int imageSize;

		private int patchSize;

		private int embedDim;

		private int depth;

		private int numHeads;

		private int mlpHiddenDim;

		private boolean qkvBias = true;

		private boolean patchBias = true;

		private boolean layerScale;

		private boolean preNorm;

		private float layerNormEps = 1e-6f;

		private MlpActivation activation = MlpActivation.GELU;

		private int numRegisters;

		private RegisterPlacement registerPlacement = RegisterPlacement.AFTER_CLASS_TOKEN;

		private boolean classTokenPositioned = true;

		private PositionResampling positionResampling = PositionResampling.BICUBIC_ANTIALIAS;

		private int projectionDim;

		private FeedForward feedForward = FeedForward.MLP;

		private boolean positionEmbedding = true;

		private boolean maskedKeyBias;

		private RotaryEmbedding rope;

		private boolean classToken = true;

		private boolean finalNorm = true;

		private Pooling pooling = Pooling.CLASS_TOKEN;

		private Builder() {
		}

		public Builder setImageSize(int imageSize) {
			this.imageSize = imageSize;
			return this;
		}

		public Builder setPatchSize(int patchSize) {
			this.patchSize = patchSize;
			return this;
		}

		public Builder setEmbedDim(int embedDim) {
			this.embedDim = embedDim;
			return this;
		}

		public Builder setDepth(int depth) {
			this.depth = depth;
			return this;
		}

		public Builder setNumHeads(int numHeads) {
			this.numHeads = numHeads;
			return this;
		}

		public Builder setMlpHiddenDim(int mlpHiddenDim) {
			this.mlpHiddenDim = mlpHiddenDim;
			return this;
		}

		public Builder optQkvBias(boolean qkvBias) {
			this.qkvBias = qkvBias;
			return this;
		}

		public Builder optPatchBias(boolean patchBias) {
			this.patchBias = patchBias;
			return this;
		}

		public Builder optLayerScale(boolean layerScale) {
			this.layerScale = layerScale;
			return this;
		}

		public Builder optPreNorm(boolean preNorm) {
			this.preNorm = preNorm;
			return this;
		}

		public Builder optLayerNormEps(float layerNormEps) {
			this.layerNormEps = layerNormEps;
			return this;
		}

		public Builder optActivation(MlpActivation activation) {
			this.activation = activation;
			return this;
		}

		public Builder optRegisters(int numRegisters, RegisterPlacement placement) {
			this.numRegisters = numRegisters;
			this.registerPlacement = placement;
			return this;
		}

		public Builder optClassTokenPositioned(boolean classTokenPositioned) {
			this.classTokenPositioned = classTokenPositioned;
			return this;
		}

		public Builder optPositionResampling(PositionResampling positionResampling) {
			this.positionResampling = positionResampling;
			return this;
		}

		public Builder optProjectionDim(int projectionDim) {
			this.projectionDim = projectionDim;
			return this;
		}

		public Builder optFeedForward(FeedForward feedForward) {
			this.feedForward = feedForward;
			return this;
		}

		public Builder optPositionEmbedding(boolean positionEmbedding) {
			this.positionEmbedding = positionEmbedding;
			return this;
		}

		public Builder optMaskedKeyBias(boolean maskedKeyBias) {
			this.maskedKeyBias = maskedKeyBias;
			return this;
		}

		public Builder optRope(RotaryEmbedding rope) {
			this.rope = rope;
			return this;
		}

		public Builder optClassToken(boolean classToken) {
			this.classToken = classToken;
			return this;
		}

		public Builder optFinalNorm(boolean finalNorm) {
			this.finalNorm = finalNorm;
			return this;
		}

		public Builder optPooling(Pooling pooling) {
			this.pooling = pooling;
			return this;
		}

		public ViTConfig build() {
			return new ViTConfig(this.imageSize, this.patchSize, this.embedDim, this.depth, this.numHeads,
					this.mlpHiddenDim, this.qkvBias, this.patchBias, this.layerScale, this.preNorm, this.layerNormEps,
					this.activation, this.numRegisters, this.registerPlacement, this.classTokenPositioned,
					this.positionResampling, this.projectionDim, this.feedForward, this.positionEmbedding,
					this.maskedKeyBias, this.rope, this.classToken, this.finalNorm, this.pooling);
		}

	}

}
