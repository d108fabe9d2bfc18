package ai.phreg.checkpoint;

import java.util.Map;

import ai.phreg.image.Normalization;
import ai.phreg.model.VisionTransformer;

/**
 * A model read from a checkpoint, with what is needed to feed it and to write it back in
 * its own format.
 *
 * @param origin where the model comes from, for people to read: the checkpoint file or
 * folder, or the name of a model built in memory
 * @param format the detected layout
 * @param model the model, every parameter frozen
 * @param normalization the pixel mean/std of the model
 * @param ignored checkpoint tensors deliberately not loaded, with the reason
 * @param carried unused tensors kept as stored, for exports of this model or its students
 * @param footprint what loading held besides the model
 */
public record LoadedModel(String origin, CheckpointFormat format, VisionTransformer model, Normalization normalization,
		Map<String, String> ignored, CarriedTensors carried, LoadFootprint footprint) {

	/** A model that carries no unused tensors, such as one built rather than loaded. */
	public LoadedModel(String origin, CheckpointFormat format, VisionTransformer model, Normalization normalization,
			Map<String, String> ignored) {
		this(origin, format, model, normalization, ignored, CarriedTensors.NONE, LoadFootprint.NONE);
	}

	public long parameterCount() {
		return this.model.parameterShapes().values().stream().mapToLong((shape) -> shape.size()).sum();
	}

}
