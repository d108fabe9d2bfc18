package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import ai.phreg.FixtureCheckpoint;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

import static ai.phreg.checkpoint.ReferenceMath.addScaled;
import static ai.phreg.checkpoint.ReferenceMath.gelu;
import static ai.phreg.checkpoint.ReferenceMath.layerNorm;

/**
 * A DINOv3 student exported in the original repository's layout runs as
 * {@code DinoVisionTransformer} runs it: a forward written here from DINOv3's code
 * ({@code prepare_tokens_with_masks}: class, storage tokens, patches; blocks with the qkv
 * bias times the stored {@code bias_mask}, rotate-half RoPE from the stored
 * {@code rope_embed.periods} on the patch tokens only, LayerScale; final norm), in double
 * precision over nothing but the exported file and its config, gives phreg's own tokens
 * at the native size. phreg's loader is not involved.
 */
class DinoV3ExportReferenceTests {

	/** The fixtures' README: float32 against a float64 reference, different order. */
	private static final double TOLERANCE = 1e-4;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path folder;

	@TestFactory
	Stream<DynamicTest> studentsWithRegistersRunAsDinoV3RunsThem() throws IOException {
		List<FixtureCheckpoint> fixtures = ExportedStudent.fixtures(CheckpointFormat.DINOV3);
		assertThat(fixtures).as("DINOv3 fixtures in the original layout").isNotEmpty();
		return fixtures.stream()
			.map((fixture) -> DynamicTest.dynamicTest(fixture.qualifiedName(), () -> assertRunsAsDinoV3(fixture)));
	}

	private void assertRunsAsDinoV3(FixtureCheckpoint fixture) throws IOException {
		ExportedStudent student = ExportedStudent.of(fixture, CheckpointFormat.DINOV3,
				this.folder.resolve(fixture.model() + ".safetensors"));
		double[][] reference = new DinoVisionTransformer(student.location(),
				student.location().resolveSibling(fixture.model() + ".config.json"))
			.tokens(student.pixels(), student.size());

		assertThat(student.tokens().length).isEqualTo(reference.length * reference[0].length);
		assertThat(ReferenceMath.worstExcess(student.tokens(), reference, TOLERANCE)).isLessThan(TOLERANCE);
	}

	/** DINOv3's {@code DinoVisionTransformer} at its native size, eval mode. */
	private static final class DinoVisionTransformer {

		/** {@code layernormbf16}, as every DINOv3 hub model. */
		private static final double EPS = 1e-5;

		private final JsonNode config;

		private final Path weights;

		DinoVisionTransformer(Path weights, Path config) throws IOException {
			this.config = JSON.readTree(config.toFile());
			this.weights = weights;
			assertThat(this.config.path("norm_layer").asString()).isEqualTo("layernormbf16");
		}

		double[][] tokens(float[] pixels, int size) throws IOException {
			int dim = this.config.path("embed_dim").asInt();
			int patch = this.config.path("patch_size").asInt();
			int heads = this.config.path("num_heads").asInt();
			int storage = this.config.path("n_storage_tokens").asInt();
			assertThat(this.config.path("img_size").asInt()).isEqualTo(size);
			int grid = size / patch;
			try (SafetensorsReader reader = SafetensorsReader.open(this.weights)) {
				double[][] patches = ReferenceMath.patchEmbeddings(pixels, size, patch,
						doubles(reader, "patch_embed.proj.weight"), doubles(reader, "patch_embed.proj.bias"), dim);
				// [cls_token + 0 * mask_token, storage_tokens, patches]: no position
				// embedding.
				double[][] hidden = new double[1 + storage + grid * grid][];
				hidden[0] = doubles(reader, "cls_token");
				double[] storageTokens = doubles(reader, "storage_tokens");
				for (int s = 0; s < storage; s++) {
					hidden[1 + s] = Arrays.copyOfRange(storageTokens, s * dim, (s + 1) * dim);
				}
				System.arraycopy(patches, 0, hidden, 1 + storage, patches.length);
				double[][][] rope = rope(doubles(reader, "rope_embed.periods"), grid, dim / heads);
				for (int block = 0; block < this.config.path("depth").asInt(); block++) {
					hidden = block(reader, "blocks." + block + ".", hidden, heads, 1 + storage, rope);
				}
				return layerNorm(hidden, doubles(reader, "norm.weight"), doubles(reader, "norm.bias"), EPS);
			}
		}

		/**
		 * RopePositionEmbedding's {sin, cos} {@code [h·w][head_dim]}: patch centres
		 * normalized per axis to (-1, 1), angles {@code 2π·coord/period}, row angles then
		 * column angles, tiled twice.
		 */
		private static double[][][] rope(double[] periods, int grid, int headDim) {
			int quarter = periods.length;
			assertThat(4 * quarter).isEqualTo(headDim);
			double[][] sin = new double[grid * grid][headDim];
			double[][] cos = new double[grid * grid][headDim];
			for (int r = 0; r < grid; r++) {
				for (int c = 0; c < grid; c++) {
					double y = 2 * ((r + 0.5) / grid) - 1;
					double x = 2 * ((c + 0.5) / grid) - 1;
					for (int j = 0; j < quarter; j++) {
						double[] angles = { 2 * Math.PI * y / periods[j], 2 * Math.PI * x / periods[j] };
						for (int axis = 0; axis < 2; axis++) {
							for (int tile = 0; tile < 2; tile++) {
								int d = tile * 2 * quarter + axis * quarter + j;
								sin[r * grid + c][d] = Math.sin(angles[axis]);
								cos[r * grid + c][d] = Math.cos(angles[axis]);
							}
						}
					}
				}
			}
			return new double[][][] { sin, cos };
		}

		/** SelfAttentionBlock: LayerScale'd attention and feed-forward branches. */
		private double[][] block(SafetensorsReader reader, String prefix, double[][] hidden, int heads,
				int prefixTokens, double[][][] rope) throws IOException {
			int dim = hidden[0].length;
			double[][] normed = layerNorm(hidden, doubles(reader, prefix + "norm1.weight"),
					doubles(reader, prefix + "norm1.bias"), EPS);
			double[] weight = doubles(reader, prefix + "attn.qkv.weight");
			// LinearKMaskedBias: bias * bias_mask
			double[] bias = doubles(reader, prefix + "attn.qkv.bias");
			double[] mask = doubles(reader, prefix + "attn.qkv.bias_mask");
			for (int i = 0; i < bias.length; i++) {
				bias[i] *= mask[i];
			}
			double[][] query = rotate(ReferenceMath.linear(normed, weight, bias, 0, dim), heads, prefixTokens, rope);
			double[][] key = rotate(ReferenceMath.linear(normed, weight, bias, dim, dim), heads, prefixTokens, rope);
			double[][] attended = ReferenceMath.attention(query, key,
					ReferenceMath.linear(normed, weight, bias, 2 * dim, dim), heads);
			double[][] afterAttention = addScaled(hidden, linear(reader, attended, prefix + "attn.proj"),
					doubles(reader, prefix + "ls1.gamma"));
			double[][] u = layerNorm(afterAttention, doubles(reader, prefix + "norm2.weight"),
					doubles(reader, prefix + "norm2.bias"), EPS);
			double[][] ffn;
			if (this.config.path("ffn_layer").asString().equals("swiglu")) {
				double[][] gate = linear(reader, u, prefix + "mlp.w1");
				double[][] x = linear(reader, u, prefix + "mlp.w2");
				for (int t = 0; t < gate.length; t++) {
					for (int d = 0; d < gate[t].length; d++) {
						x[t][d] *= gate[t][d] / (1 + Math.exp(-gate[t][d]));
					}
				}
				ffn = linear(reader, x, prefix + "mlp.w3");
			}
			else {
				ffn = linear(reader, gelu(linear(reader, u, prefix + "mlp.fc1")), prefix + "mlp.fc2");
			}
			return addScaled(afterAttention, ffn, doubles(reader, prefix + "ls2.gamma"));
		}

		/**
		 * rope_apply on every head of the patch tokens (after class and storage):
		 * {@code x·cos + rotate_half(x)·sin}, {@code rotate_half([a, b]) = [-b, a]}.
		 */
		private static double[][] rotate(double[][] x, int heads, int prefixTokens, double[][][] rope) {
			int headDim = x[0].length / heads;
			int half = headDim / 2;
			double[][] y = new double[x.length][];
			for (int t = 0; t < x.length; t++) {
				y[t] = x[t].clone();
				if (t < prefixTokens) {
					continue;
				}
				double[] sin = rope[0][t - prefixTokens];
				double[] cos = rope[1][t - prefixTokens];
				for (int h = 0; h < heads; h++) {
					for (int d = 0; d < headDim; d++) {
						int i = h * headDim + d;
						double rotated = (d < half) ? -x[t][i + half] : x[t][i - half];
						y[t][i] = x[t][i] * cos[d] + rotated * sin[d];
					}
				}
			}
			return y;
		}

		private static double[][] linear(SafetensorsReader reader, double[][] x, String name) throws IOException {
			return ReferenceMath.linear(x, doubles(reader, name + ".weight"), doubles(reader, name + ".bias"));
		}

		private static double[] doubles(SafetensorsReader reader, String name) throws IOException {
			return ReferenceMath.doubles(reader.readFloats(name));
		}

	}

}
