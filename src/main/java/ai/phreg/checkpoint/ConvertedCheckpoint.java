package ai.phreg.checkpoint;

import java.util.Map;

import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;

/**
 * A foreign checkpoint mapped onto phreg's parameter names, values not yet read.
 *
 * @param format the detected layout
 * @param config the architecture inferred from shapes and the sidecar config
 * @param normalization the pixel mean/std the model was trained with
 * @param parameters one tensor per {@link ai.phreg.model.VisionTransformer} parameter
 * @param ignored checkpoint tensors deliberately left out, with the reason
 * @param carried checkpoint keys of the {@link CarriedTensors}, by carried name
 */
public record ConvertedCheckpoint(CheckpointFormat format, ViTConfig config, Normalization normalization,
		Map<String, TensorSource> parameters, Map<String, String> ignored, Map<String, String> carried) {
}
