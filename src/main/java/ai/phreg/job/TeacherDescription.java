package ai.phreg.job;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;

/**
 * A teacher as its header describes it, read without its weights.
 *
 * @param format the checkpoint family
 * @param config the architecture
 * @param normalization the pixel mean/std the teacher was trained with
 */
public record TeacherDescription(CheckpointFormat format, ViTConfig config, Normalization normalization) {
}
