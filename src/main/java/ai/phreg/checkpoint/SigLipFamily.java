package ai.phreg.checkpoint;

import ai.phreg.image.Normalization;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.Pooling;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;

/**
 * What both SigLIP vision-tower layouts, timm's (read and written) and Hugging Face's
 * (read only), share: no class token, a position embedding over the patches only, plain
 * pre-norm blocks without LayerScale, a final norm and the MAP head; pixels scaled to
 * [-1, 1]. The layouts differ in their key names and in how they resample the position
 * embedding off the native grid (timm antialiased, transformers not).
 */
final class SigLipFamily {

	static final Normalization NORMALIZATION = Normalization.of(new double[] { 0.5, 0.5, 0.5 },
			new double[] { 0.5, 0.5, 0.5 });

	private SigLipFamily() {
	}

	/**
	 * The architecture all SigLIP towers share, for the layout's own settings to fill.
	 */
	static ViTConfig.Builder siglip(int imageSize, int patchSize, int dim, MlpActivation activation,
			PositionResampling resampling) {
		return ViTConfig.builder()
			.setImageSize(imageSize)
			.setPatchSize(patchSize)
			.setEmbedDim(dim)
			.optActivation(activation)
			.optClassToken(false)
			.optClassTokenPositioned(false)
			.optPooling(Pooling.MAP)
			.optPositionResampling(resampling);
	}

}
