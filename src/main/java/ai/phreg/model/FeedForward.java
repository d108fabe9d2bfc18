package ai.phreg.model;

/**
 * The feed-forward branch of every block. The gated variants multiply a SiLU gate with a
 * value projection; {@link ViTConfig#mlpHiddenDim()} is then the width of the gated
 * product, not of the packed projection.
 */
public enum FeedForward {

	/**
	 * {@code fc2(act(fc1 x))}: DINOv2 up to ViT-L, CLIP, timm, DINOv3 ViT-S/B/L, SigLIP.
	 */
	MLP,

	/**
	 * One packed projection {@code fc1 [2h, D]} whose first half is the gate and second
	 * half the value: {@code fc2(silu(a) ⊙ b)} (DINOv2 ViT-g's {@code w12}/{@code w3},
	 * transformers' {@code weights_in}/{@code weights_out}, timm {@code SwiGLUPacked}).
	 */
	SWIGLU_PACKED,

	/**
	 * Separate gate and value projections {@code fc1_g}, {@code fc1_x}:
	 * {@code fc2(silu(fc1_g x) ⊙ fc1_x x)} (DINOv3 {@code w1}/{@code w2}/{@code w3}, timm
	 * {@code SwiGLU}).
	 */
	SWIGLU,

	/**
	 * {@link #SWIGLU} with a LayerNorm over the gated product before {@code fc2} (EVA-02
	 * base/large {@code mlp.norm}, timm {@code SwiGLU(norm_layer=...)}).
	 */
	SWIGLU_NORM;

	public boolean gated() {
		return this != MLP;
	}

	/**
	 * The hidden width DINOv2's and DINOv3's SwiGLU layers build for a nominal MLP width
	 * {@code int(D · mlp_ratio)}: two thirds of it, rounded up to a multiple of 8.
	 */
	public static int swigluHidden(int nominalWidth) {
		int twoThirds = nominalWidth * 2 / 3;
		return (twoThirds + 7) / 8 * 8;
	}

	FeedForwardBlock create(long dim, long hiddenDim, MlpActivation activation, float layerNormEps) {
		return switch (this) {
			case MLP -> new Mlp(dim, hiddenDim, activation);
			case SWIGLU_PACKED -> new PackedSwiGlu(dim, hiddenDim);
			case SWIGLU -> new SwiGlu(dim, hiddenDim, null);
			case SWIGLU_NORM -> new SwiGlu(dim, hiddenDim, new LayerNormalization(hiddenDim, layerNormEps));
		};
	}

}
