package ai.phreg.model;

import java.util.Objects;

/**
 * What a forward pass does beyond the model's own computation: extra tokens appended to
 * the sequence and a hook on the MLP activations.
 * <p>
 * Appended tokens start as the mean of the image's patch embeddings (the patch
 * projections, without position embedding) and get no position embedding, as Jiang et
 * al.'s test-time registers; they follow the model's own registers, so they sit before
 * the patch tokens when registers precede the patches and at the end when registers
 * follow them. The patches therefore stay the last tokens for rotary embedding, and the
 * model's outputs ({@link ViTOutput}) leave the appended tokens out except from
 * {@link ViTOutput#tokens()}, {@link ViTOutput#hiddenStates()} and a MAP head's pooling.
 *
 * @param appendedTokens extra tokens for this pass, 0 for none
 * @param mlpHook sees the hidden activations of every block's feed-forward branch
 */
public record ForwardHooks(int appendedTokens, MlpActivationHook mlpHook) {

	/** The model as it is. */
	public static final ForwardHooks NONE = new ForwardHooks(0, MlpActivationHook.NONE);

	public ForwardHooks {
		Objects.requireNonNull(mlpHook, "mlpHook");
		if (appendedTokens < 0) {
			throw new IllegalArgumentException("Appended tokens must not be negative, got " + appendedTokens);
		}
	}

	/** Only reads or changes activations, appending nothing. */
	public static ForwardHooks of(MlpActivationHook hook) {
		return new ForwardHooks(0, hook);
	}

}
