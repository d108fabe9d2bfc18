package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * RoPE rotates each pair of dimensions of the patch tokens by its angle (DINOv3 pairs
 * dimension j with j + hd/2, EVA-02 2i with 2i+1) and leaves the prefix tokens alone. The
 * tables themselves are compared with the upstream ones in the fixture parity tests
 * ({@code rope.sin}, {@code rope.cos}).
 */
class RotaryEmbeddingTests {

	private static final int HEAD_DIM = 8;

	private static final int PREFIX = 2;

	@ParameterizedTest
	@EnumSource(RotaryEmbedding.Style.class)
	void rotatesEachPairOfThePatchTokensAndNothingElse(RotaryEmbedding.Style style) {
		RotaryEmbedding rope = new RotaryEmbedding(style, 100, 16);
		int gridHeight = 2;
		int gridWidth = 3;
		int patches = gridHeight * gridWidth;
		int tokens = PREFIX + patches;
		try (NDManager manager = NDManager.newBaseManager()) {
			float[] input = new float[tokens * HEAD_DIM];
			for (int i = 0; i < input.length; i++) {
				input[i] = (float) Math.sin(1.7 * i + 0.3);
			}
			NDArray x = manager.create(input, new Shape(1, 1, tokens, HEAD_DIM));
			NDList tables = rope.tables(manager, gridHeight, gridWidth, HEAD_DIM);
			float[] sin = tables.get(0).toFloatArray();
			float[] cos = tables.get(1).toFloatArray();

			float[] output = rope.apply(x, tables.get(0), tables.get(1)).toFloatArray();

			for (int i = 0; i < PREFIX * HEAD_DIM; i++) {
				assertThat(output[i]).as("prefix value %d", i).isEqualTo(input[i]);
			}
			for (int p = 0; p < patches; p++) {
				int row = (PREFIX + p) * HEAD_DIM;
				for (int d = 0; d < HEAD_DIM; d++) {
					int partner = partner(style, d);
					// Pair (first, second) turns by the angle of its first member.
					int first = Math.min(d, partner);
					double angleSin = sin[p * HEAD_DIM + first];
					double angleCos = cos[p * HEAD_DIM + first];
					double sign = (d == first) ? -1 : 1;
					double expected = input[row + d] * angleCos + sign * input[row + partner] * angleSin;
					assertThat((double) output[row + d]).as("patch %d dimension %d", p, d)
						.isCloseTo(expected, within(1e-6));
				}
			}
		}
	}

	private static int partner(RotaryEmbedding.Style style, int d) {
		return switch (style) {
			case DINOV3 -> (d + HEAD_DIM / 2) % HEAD_DIM;
			case EVA02 -> d ^ 1;
		};
	}

}
