package ai.phreg.demo;

import ai.phreg.model.VisionTransformer;

/**
 * The synthetic demo teacher and its artifact-free ground truth, both frozen, with the
 * same weights except the planted neurons' outgoing fc2 columns (zero in the ground
 * truth).
 *
 * @param teacher the model with planted artifact neurons, to be repaired by PH-Reg
 * @param groundTruth the same model without them: what a perfect repair would output
 * @param planting where the artifacts come from
 */
public record DemoModels(VisionTransformer teacher, VisionTransformer groundTruth, ArtifactPlanting planting) {
}
