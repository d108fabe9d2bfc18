package ai.phreg.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;
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

	abstract ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar) throws InvalidCheckpointException;

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

	final ConvertedCheckpoint convert(KeyLedger ledger, SidecarConfig sidecar) throws InvalidCheckpointException {
		ViTConfig config = inferConfig(ledger, sidecar);
		Map<String, TensorSource> parameters = new LinkedHashMap<>();
		for (String parameter : new VisionTransformer(config).parameterShapes().keySet()) {
			parameters.put(parameter, tensorFor(parameter, config, ledger));
		}
		ignoreUnused(ledger);
		Map<String, String> ignored = ledger.finish();
		Normalization normalization = sidecar.floats("mean")
			.or(() -> sidecar.floats("pretrained_cfg", "mean"))
			.or(() -> sidecar.floats("preprocess_cfg", "mean"))
			.flatMap((mean) -> sidecar.floats("std")
				.or(() -> sidecar.floats("pretrained_cfg", "std"))
				.or(() -> sidecar.floats("preprocess_cfg", "std"))
				.map((std) -> new Normalization(mean, std)))
			.orElse(defaultNormalization());
		return new ConvertedCheckpoint(format(), config, normalization, parameters, ignored);
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
	 * Heads from the config, else 64-wide heads, as every DINOv2, CLIP and DeiT-III model
	 * has.
	 */
	static int numHeads(SidecarConfig sidecar, int embedDim, String... keys) {
		for (String key : keys) {
			var heads = sidecar.integer(key);
			if (heads.isPresent()) {
				return heads.get();
			}
		}
		return Math.max(1, embedDim / 64);
	}

}
