package ai.phreg.demo;

import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;

/**
 * The built-in <em>synthetic demo teacher</em>: a small DINOv2-style ViT whose high-norm
 * artifacts are planted in its weights, with the same model minus the planted neurons as
 * ground truth.
 * <p>
 * No real pretrained ViT can be downloaded everywhere phreg runs, and a real one has no
 * artifact-free twin to measure a repair against. This teacher has both: a few MLP
 * neurons of a middle block fire on flat patches near fixed grid positions and write a
 * large vector into channels the final LayerNorm amplifies, so output patch-token norms
 * become bimodal as in DINOv2 (Darcet et al., "Vision Transformers Need Registers").
 * Because the trigger is tied to the position embedding, the artifacts stay on the grid
 * when the content moves, which is what PH-Reg's shifted-view averaging relies on. On the
 * 36 bundled photos about 4% of the teacher's patch tokens are outliers with about 6.6
 * times the median norm; the ground truth has none. It is not a trained model: its
 * features mean nothing beyond what the random weights give. The construction is
 * described in {@link DemoWeights}.
 */
public final class DemoTeacher {

	public static final long DEFAULT_SEED = 20250527L;

	private DemoTeacher() {
	}

	/**
	 * The architecture: hub DINOv2 without registers (LayerScale, exact GELU, LayerNorm
	 * eps 1e-6, patch 14, {@link PositionResampling#BICUBIC_OFFSET}, the family whose
	 * artifacts PH-Reg repairs) at a size a 2-core CPU runs quickly: width 192, 6 blocks
	 * of 3 heads, 224 px giving a 16×16 grid (a batch of 8 takes about 90 ms).
	 */
	public static ViTConfig config() {
		return ViTConfig.builder()
			.setImageSize(224)
			.setPatchSize(14)
			.setEmbedDim(192)
			.setDepth(6)
			.setNumHeads(3)
			.setMlpHiddenDim(768)
			.optLayerScale(true)
			.optLayerNormEps(1e-6f)
			.optActivation(MlpActivation.GELU)
			.optPositionResampling(PositionResampling.BICUBIC_OFFSET)
			.build();
	}

	/**
	 * Builds both models, deterministically from {@code seed}, with their parameters in
	 * {@code manager} and frozen.
	 */
	public static DemoModels create(long seed, NDManager manager) {
		ViTConfig config = config();
		VisionTransformer teacher = VisionTransformer.create(config, manager);
		VisionTransformer groundTruth = VisionTransformer.create(config, manager);
		DemoWeights.Generated weights = DemoWeights.generate(config, teacher.parameterShapes(), seed);
		load(teacher, weights.teacher());
		load(groundTruth, weights.groundTruth());
		return new DemoModels(seed, teacher, groundTruth, weights.planting());
	}

	private static void load(VisionTransformer model, Map<String, float[]> weights) {
		weights.forEach(model::setParameter);
	}

}
