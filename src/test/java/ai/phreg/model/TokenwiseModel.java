package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A one-block ViT with hand-set weights whose hidden MLP activations can be worked out by
 * hand: its attention is zero, so tokens do not mix, and with a width of 2 the LayerNorm
 * maps a token {@code (a, b)} to {@code (1, -1)} when {@code a > b} and to
 * {@code (-1, 1)} when {@code a < b} (to within 1e-6). The patch embedding copies the red
 * and green channels of 1-pixel patches; the class token is {@code (1, 0)}.
 * <p>
 * The MLP's three neurons then read, after GELU: neuron 0 = 10 on red tokens and 0 on
 * green ones ({@code 10·n0}), neuron 1 = 10 everywhere (bias 10), neuron 2 = 0 on red and
 * 5 on green ({@code -5·n0}). A token whose two channels are equal normalizes to zero and
 * reads {@code (0, 10, 0)}.
 */
public final class TokenwiseModel {

	/** Red, green, green, red: the 2×2 image {@link #pixels} encodes. */
	public static final boolean[] RED_PATCHES = { true, false, false, true };

	private TokenwiseModel() {
	}

	public static ViTConfig config() {
		return ViTConfig.builder()
			.setImageSize(2)
			.setPatchSize(1)
			.setEmbedDim(2)
			.setDepth(1)
			.setNumHeads(1)
			.setMlpHiddenDim(3)
			.build();
	}

	public static VisionTransformer create(NDManager manager) {
		VisionTransformer model = VisionTransformer.create(config(), manager);
		model.setParameter("cls_token", new float[] { 1, 0 });
		model.setParameter("patch_embed.proj.weight", new float[] { 1, 0, 0, 0, 1, 0 });
		for (String norm : new String[] { "blocks.0.norm1.weight", "blocks.0.norm2.weight", "norm.weight" }) {
			model.setParameter(norm, new float[] { 1, 1 });
		}
		model.setParameter("blocks.0.mlp.fc1.weight", new float[] { 10, 0, 0, 0, -5, 0 });
		model.setParameter("blocks.0.mlp.fc1.bias", new float[] { 0, 10, 0 });
		model.setParameter("blocks.0.mlp.fc2.weight", new float[] { 1, 0.5f, -1, 0.25f, 2, 1 });
		return model;
	}

	/**
	 * The 2×2 image of {@link #RED_PATCHES}: red {@code (1, 0, 0)}, green
	 * {@code (0, 1, 0)}.
	 */
	public static NDArray pixels(NDManager manager) {
		float[] values = new float[12];
		for (int p = 0; p < 4; p++) {
			values[(RED_PATCHES[p] ? 0 : 1) * 4 + p] = 1;
		}
		return manager.create(values, new Shape(1, 3, 2, 2));
	}

	/** Neurons 0..2 of a red token, of a green one. */
	public static float[] hidden(boolean red) {
		return red ? new float[] { 10, 10, 0 } : new float[] { 0, 10, 5 };
	}

}
