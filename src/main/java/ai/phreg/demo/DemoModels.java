package ai.phreg.demo;

import java.util.Map;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.image.Normalization;
import ai.phreg.model.VisionTransformer;

/**
 * The synthetic demo teacher and its artifact-free ground truth, both frozen, with the
 * same weights except the planted neurons' outgoing fc2 columns (zero in the ground
 * truth).
 *
 * @param seed the seed both were generated from
 * @param teacher the model with planted artifact neurons, to be repaired by PH-Reg
 * @param groundTruth the same model without them: what a perfect repair would output
 * @param planting where the artifacts come from
 */
public record DemoModels(long seed, VisionTransformer teacher, VisionTransformer groundTruth,
		ArtifactPlanting planting) {

	/**
	 * The teacher as training takes any teacher: a DINOv2 in the hub layout with ImageNet
	 * normalization, built in memory rather than read from a file.
	 */
	public LoadedModel asTeacher() {
		return new LoadedModel("built-in demo teacher, seed " + this.seed, CheckpointFormat.DINOV2_HUB, this.teacher,
				Normalization.IMAGENET, Map.of());
	}

}
