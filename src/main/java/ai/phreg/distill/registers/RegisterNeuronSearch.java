package ai.phreg.distill.registers;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.model.ViTConfig;

/**
 * How {@link RegisterNeurons} looks for register neurons.
 *
 * @param outlierLayer the block whose output norms mark the outlier tokens; negative
 * counts from the end ({@code -1} the last block)
 * @param normThreshold outlier tokens have a norm above it at that block; null to take
 * the valley of the norm histogram over the images
 * ({@link ai.phreg.metrics.NormHistogram#valleyThreshold()})
 * @param topK the neurons kept, highest scores first
 * @param highestLayer neurons of blocks after this one are not considered: the artifact
 * writers sit in the middle of the network, and later blocks only carry what they wrote
 * @param images the images scanned at most (all when fewer)
 * @param sparsity when not null, a neuron scores on an image only if at least this
 * fraction of the image's tokens activate it below {@link #SPARSE_ACTIVATION} (the
 * authors' optional sparsity filter): artifact writers are silent almost everywhere,
 * while ordinary neurons that are merely large everywhere would also be large at the
 * outliers
 */
public record RegisterNeuronSearch(int outlierLayer, Double normThreshold, int topK, int highestLayer, int images,
		Double sparsity) {

	/** The activation below which a token counts as not activating a neuron. */
	public static final float SPARSE_ACTIVATION = 0.5f;

	/**
	 * The sparsity the generic defaults ask for: the demo teacher's planted neurons fire
	 * on about 4% of the tokens.
	 */
	public static final double DEFAULT_SPARSITY = 0.9;

	/** Images scanned by default, as the authors do. */
	public static final int DEFAULT_IMAGES = 500;

	public RegisterNeuronSearch {
		if (topK < 1 || images < 1 || highestLayer < 0) {
			throw new IllegalArgumentException("top k and images must be positive and the highest layer not negative");
		}
		if (normThreshold != null && !(normThreshold > 0 && Double.isFinite(normThreshold))) {
			throw new IllegalArgumentException("The norm threshold must be positive and finite, got " + normThreshold);
		}
		if (sparsity != null && !(sparsity > 0 && sparsity <= 1)) {
			throw new IllegalArgumentException("The sparsity must be in (0, 1], got " + sparsity);
		}
	}

	/**
	 * The defaults for a model. The authors' configurations where they published one:
	 * DINOv2 ViT-L (outlier layer -2, threshold 150, top 50, blocks up to 17), CLIP ViT-B
	 * (-1, 30, top 10, up to 5) and CLIP ViT-L (-2, 150, up to 14, top 48 as below). Any
	 * other model, the demo teacher included: outlier layer -2, the norm histogram's
	 * valley as threshold (a norm scale depends on the model), blocks up to
	 * {@code floor(5 · depth / 12)} (CLIP ViT-B's 5 of 12) and the top {@code 2 · depth}
	 * neurons (about DINOv2-L's 50). The limit matters: once a block has written an
	 * artifact, the later blocks' neurons respond to the huge token too and would
	 * outscore the writers (on the demo teacher, whose planted neurons sit in block 2 of
	 * 6, blocks 3 and 4 do); the generic limit keeps the first 5/12 of the network, 2 on
	 * the demo teacher. Without the authors' tuning the sparsity filter is on
	 * ({@link #DEFAULT_SPARSITY}): on the demo teacher, random neurons that are large on
	 * every token otherwise outscore planted neurons each of which fires on only a
	 * quarter of the outliers (its own hotspot's).
	 */
	public static RegisterNeuronSearch defaults(CheckpointFormat format, ViTConfig config) {
		int depth = config.depth();
		int width = config.embedDim();
		boolean dinov2 = format == CheckpointFormat.DINOV2_HUB || format == CheckpointFormat.DINOV2_HF;
		if (dinov2 && depth == 24 && width == 1024) {
			return new RegisterNeuronSearch(-2, 150.0, 50, 17, DEFAULT_IMAGES, null);
		}
		if (format == CheckpointFormat.CLIP_OPENAI && depth == 12 && width == 768) {
			return new RegisterNeuronSearch(-1, 30.0, 10, 5, DEFAULT_IMAGES, null);
		}
		if (format == CheckpointFormat.CLIP_OPENAI && depth == 24 && width == 1024) {
			return new RegisterNeuronSearch(-2, 150.0, 2 * depth, 14, DEFAULT_IMAGES, null);
		}
		return new RegisterNeuronSearch(-2, null, 2 * depth, 5 * depth / 12, DEFAULT_IMAGES, DEFAULT_SPARSITY);
	}

	public RegisterNeuronSearch withNormThreshold(Double threshold) {
		return new RegisterNeuronSearch(this.outlierLayer, threshold, this.topK, this.highestLayer, this.images,
				this.sparsity);
	}

	public RegisterNeuronSearch withImages(int count) {
		return new RegisterNeuronSearch(this.outlierLayer, this.normThreshold, this.topK, this.highestLayer, count,
				this.sparsity);
	}

	public RegisterNeuronSearch withTopK(int k) {
		return new RegisterNeuronSearch(this.outlierLayer, this.normThreshold, k, this.highestLayer, this.images,
				this.sparsity);
	}

}
