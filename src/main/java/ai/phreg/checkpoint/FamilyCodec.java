package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import tools.jackson.databind.node.ObjectNode;

/**
 * Everything phreg knows about one checkpoint family's layout, in one place: how to
 * recognize it, how its keys and shapes map onto {@link VisionTransformer} parameters
 * when reading, and how to write a model back so that the family's own library loads it.
 * Reading infers the architecture from tensor shapes (and the config for what weights
 * cannot tell) and must consume or explicitly ignore every key; writing is its exact
 * inverse, which {@link CheckpointExporter} verifies by reading every export back.
 * <p>
 * The codecs are listed in {@link FamilyCodecs}; a new family is one subclass there.
 */
abstract class FamilyCodec {

	private final CheckpointLayout layout;

	/**
	 * @param layout where the family's checkpoints keep their weights and config
	 */
	FamilyCodec(CheckpointLayout layout) {
		this.layout = layout;
	}

	// Reading

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
	 * the config or the caller's options. Tensor values are not read here, except small
	 * buffers that must agree with the architecture (DINOv3's RoPE periods).
	 */
	abstract ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options) throws IOException;

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

	final ConvertedCheckpoint convert(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options) throws IOException {
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

	// Writing

	/**
	 * Why this family's format cannot hold a model of {@code config} exactly; empty when
	 * it can.
	 */
	abstract List<String> unsupported(ViTConfig config);

	/** Where the checkpoint's weights and config go for a {@code target} path. */
	final CheckpointFiles files(Path target) {
		return this.layout.files(target);
	}

	/**
	 * Emits the family's tensor(s) holding phreg parameter {@code parameter}, whose
	 * row-major {@code values} have {@code shape}.
	 */
	abstract void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink);

	/**
	 * Emits tensors the family's own loader requires although phreg's model has no use
	 * for them, such as DINOv2's mask token: the source's own when {@code carried} has
	 * them, else neutral values.
	 */
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
	}

	/** The family's configuration file for the model. */
	abstract ObjectNode config(ViTConfig config, DType dtype, Normalization normalization);

	/**
	 * JSON files the family's loaders read beside the config, by file name, such as
	 * Hugging Face's {@code preprocessor_config.json}; none by default.
	 */
	Map<String, ObjectNode> companionFiles(ViTConfig config, Normalization normalization) {
		return Map.of();
	}

}
