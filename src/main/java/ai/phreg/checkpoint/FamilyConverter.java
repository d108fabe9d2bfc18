package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;

/**
 * Maps one family's checkpoint layout onto {@link VisionTransformer} parameters. A
 * converter infers the architecture from tensor shapes (and the sidecar config for what
 * weights cannot tell), then supplies a tensor for every parameter of that architecture;
 * every checkpoint key must be consumed or explicitly ignored.
 */
abstract class FamilyConverter {

	abstract CheckpointFormat format();

	/** Whether the key set has this family's signature keys. */
	abstract boolean recognizes(Set<String> keys);

	/**
	 * The keys that identify this family, for the message when nothing recognizes a
	 * checkpoint.
	 */
	abstract String signature();

	/**
	 * The architecture, from the weights' shapes and, for what the weights cannot tell,
	 * the config or the caller's options.
	 */
	abstract ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException;

	/**
	 * Lists what the family's config declares about the architecture, so that a config
	 * disagreeing with the weights is refused.
	 */
	abstract void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException;

	/**
	 * The checkpoint tensor holding phreg parameter {@code parameter} of a model with
	 * {@code config}.
	 */
	abstract TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger)
			throws InvalidCheckpointException;

	/**
	 * Marks keys that exist in this family's checkpoints but play no part in the
	 * backbone.
	 */
	abstract void ignoreUnused(KeyLedger ledger);

	Normalization defaultNormalization() {
		return Normalization.IMAGENET;
	}

	final ConvertedCheckpoint convert(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		ViTConfig config;
		Normalization normalization;
		try {
			config = inferConfig(ledger, sidecar, options);
			normalization = normalization(sidecar);
		}
		catch (IllegalArgumentException ex) {
			// Shapes or settings no model can have, refused by the model's own checks.
			throw new InvalidCheckpointException("Checkpoint " + ledger.location() + " with config " + sidecar
					+ " describes no valid model: " + ex.getMessage());
		}
		ConfigAgreement agreement = new ConfigAgreement(sidecar);
		declare(agreement, config);
		agreement.check();
		Map<String, TensorSource> parameters = new LinkedHashMap<>();
		for (String parameter : new VisionTransformer(config).parameterShapes().keySet()) {
			parameters.put(parameter, tensorFor(parameter, config, ledger));
		}
		ignoreUnused(ledger);
		Map<String, String> ignored = ledger.finish();
		return new ConvertedCheckpoint(format(), config, normalization, parameters, ignored, ledger.carried());
	}

	private Normalization normalization(SidecarConfig sidecar) throws InvalidCheckpointException {
		Optional<float[]> mean = sidecar.floats(sidecar.first("mean", "pretrained_cfg.mean", "preprocess_cfg.mean"));
		Optional<float[]> std = sidecar.floats(sidecar.first("std", "pretrained_cfg.std", "preprocess_cfg.std"));
		return (mean.isPresent() && std.isPresent()) ? new Normalization(mean.get(), std.get())
				: defaultNormalization();
	}

	/** The side of a square grid of {@code count} patches. */
	static int squareSide(long count, String what) throws InvalidCheckpointException {
		int side = (int) Math.round(Math.sqrt(count));
		if (side <= 0 || (long) side * side != count) {
			throw new InvalidCheckpointException(what + " has " + count + " patch positions, not a square grid");
		}
		return side;
	}

	/**
	 * The number of attention heads, which the weights cannot tell: the config's
	 * {@code declared} value (read from {@code key}), else the caller's. Never guessed: a
	 * wrong head count loads without error and computes another model.
	 */
	static int heads(Optional<Integer> declared, String key, int width, SidecarConfig sidecar, LoadOptions options,
			Path location) throws InvalidCheckpointException {
		Integer requested = options.heads();
		if (declared.isPresent()) {
			int heads = declared.get();
			if (heads < 1 || width % heads != 0) {
				throw new InvalidCheckpointException("Config " + sidecar + ": '" + key + "' gives " + heads
						+ " heads, which do not split the width " + width + " of the weights evenly");
			}
			if (requested != null && requested != heads) {
				throw new InvalidCheckpointException("Config " + sidecar + ": '" + key + "' gives " + heads
						+ " heads but " + requested + " were asked for; leave heads out or fix the config");
			}
			return heads;
		}
		if (requested == null) {
			String config = sidecar.file()
				.map((file) -> "its config " + file + " has no '" + key + "'")
				.orElse("it has no config file beside it");
			throw new InvalidCheckpointException("The number of attention heads of " + location + " is unknown: "
					+ config + ", and the weights cannot tell it. Give heads (for example " + Math.max(1, width / 64)
					+ " for 64-wide heads, as DINOv2, CLIP and DeiT models of width " + width + " have).");
		}
		if (width % requested != 0) {
			throw new InvalidCheckpointException(requested + " heads do not split the width " + width + " of "
					+ location + " evenly; give a divisor of " + width);
		}
		return requested;
	}

}
