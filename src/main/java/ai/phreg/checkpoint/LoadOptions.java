package ai.phreg.checkpoint;

import java.util.Objects;

import ai.phreg.checkpoint.safetensors.SafetensorsLimits;

/**
 * What the caller tells the loader beyond the checkpoint itself.
 *
 * @param heads the number of attention heads, for checkpoints whose config does not say
 * (the weights cannot tell it); {@code null} to take it from the config. When both give
 * it, they must agree.
 * @param limits how large a safetensors header the loader agrees to parse
 */
public record LoadOptions(Integer heads, SafetensorsLimits limits) {

	/** Heads from the config, default header limits. */
	public static final LoadOptions DEFAULTS = new LoadOptions(null, SafetensorsLimits.DEFAULTS);

	public LoadOptions {
		if (heads != null && heads < 1) {
			throw new IllegalArgumentException("heads must be at least 1, not " + heads);
		}
		Objects.requireNonNull(limits, "limits");
	}

	/** These options with the given head count, {@code null} for the config's. */
	public LoadOptions withHeads(Integer heads) {
		return new LoadOptions(heads, this.limits);
	}

}
