package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import ai.phreg.FixtureCheckpoint;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

import static ai.phreg.checkpoint.ReferenceMath.addScaled;
import static ai.phreg.checkpoint.ReferenceMath.layerNorm;

/**
 * An EVA-02 student exported in timm's layout runs as timm runs it: a forward written
 * here from timm's {@code Eva} ({@code _pos_embed}: class and register tokens prepended,
 * then {@code pos_embed} added to all; {@code EvaAttention} with {@code q_bias}/
 * {@code v_bias} and interleaved RoPE on the tokens after the {@code num_prefix_tokens};
 * {@code SwiGLU} with its inner norm; {@code fc_norm} of the mean of the tokens after the
 * prefix), in double precision over nothing but the exported {@code config.json} and
 * tensors, gives phreg's own tokens and pooled vector at the native size. phreg's loader
 * is not involved.
 */
class TimmEvaExportReferenceTests {

	/** The fixtures' README: float32 against a float64 reference, different order. */
	private static final double TOLERANCE = 1e-4;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path folder;

	@Test
	void aStudentWithRegistersRunsAsTimmRunsIt() throws IOException {
		List<FixtureCheckpoint> fixtures = ExportedStudent.fixtures(CheckpointFormat.EVA02_TIMM);
		assertThat(fixtures).as("a timm EVA-02 fixture").isNotEmpty();
		ExportedStudent student = ExportedStudent.of(fixtures.get(fixtures.size() - 1), CheckpointFormat.EVA02_TIMM,
				this.folder.resolve("student"));

		TimmEva timm = new TimmEva(student.location());
		double[][] features = timm.forwardFeatures(student.pixels(), student.size());
		double[][] head = timm.pooled(features);

		assertThat(student.tokens().length).isEqualTo(features.length * features[0].length);
		assertThat(ReferenceMath.worstExcess(student.tokens(), features, TOLERANCE)).as("forward features")
			.isLessThan(TOLERANCE);
		assertThat(ReferenceMath.worstExcess(student.pooled(), head, TOLERANCE)).as("pooled").isLessThan(TOLERANCE);
	}

	/**
	 * timm's {@code Eva} at the native size, read from the folder as
	 * {@code timm.create_model("local-dir:...")} would.
	 */
	private static final class TimmEva {

		private static final double EPS = 1e-6;

		private final JsonNode args;

		private final Path weights;

		private final int prefix;

		TimmEva(Path folder) throws IOException {
			this.args = JSON.readTree(folder.resolve("config.json").toFile()).path("model_args");
			this.weights = folder.resolve("model.safetensors");
			assertThat(this.args.path("class_token").asBoolean()).isTrue();
			assertThat(this.args.path("no_embed_class").asBoolean()).isFalse();
			assertThat(this.args.path("qkv_fused").asBoolean()).isTrue();
			assertThat(this.args.path("scale_mlp").asBoolean()).isTrue();
			assertThat(this.args.path("use_post_transformer_norm").asBoolean()).isFalse();
			assertThat(this.args.path("global_pool").asString()).isEqualTo("avg");
			assertThat(this.args.path("rope_type").asString()).isEqualTo("cat");
			assertThat(this.args.path("rope_rotate_half").asBoolean()).isFalse();
			this.prefix = 1 + this.args.path("num_reg_tokens").asInt(0);
		}

		double[][] forwardFeatures(float[] pixels, int size) throws IOException {
			int dim = this.args.path("embed_dim").asInt();
			int patch = this.args.path("patch_size").asInt();
			int heads = this.args.path("num_heads").asInt();
			assertThat(this.args.path("img_size").asInt()).isEqualTo(size);
			int grid = size / patch;
			try (SafetensorsReader reader = SafetensorsReader.open(this.weights)) {
				double[][] patches = ReferenceMath.patchEmbeddings(pixels, size, patch,
						doubles(reader, "patch_embed.proj.weight"), doubles(reader, "patch_embed.proj.bias"), dim);
				// _pos_embed: [cls, registers, patches], then pos_embed (a row for each).
				double[][] hidden = new double[this.prefix + grid * grid][];
				hidden[0] = doubles(reader, "cls_token");
				double[] registers = (this.prefix > 1) ? doubles(reader, "reg_token") : new double[0];
				for (int r = 0; r < this.prefix - 1; r++) {
					hidden[1 + r] = Arrays.copyOfRange(registers, r * dim, (r + 1) * dim);
				}
				System.arraycopy(patches, 0, hidden, this.prefix, patches.length);
				double[] position = doubles(reader, "pos_embed");
				for (int t = 0; t < hidden.length; t++) {
					for (int d = 0; d < dim; d++) {
						hidden[t][d] += position[t * dim + d];
					}
				}
				double[][][] rope = rope(grid, dim / heads);
				for (int block = 0; block < this.args.path("depth").asInt(); block++) {
					hidden = block(reader, "blocks." + block + ".", hidden, heads, rope);
				}
				return hidden;
			}
		}

		/**
		 * RotaryEmbeddingCat's tables {sin, cos} {@code [h·w][head_dim]}: bands
		 * {@code 1 / T^(j / (hd/4))}, coordinates {@code index / grid * ref}, rows then
		 * columns, each angle repeated in place.
		 */
		private double[][][] rope(int grid, int headDim) {
			double temperature = this.args.path("rope_temperature").asDouble();
			double reference = this.args.path("ref_feat_shape").get(0).asDouble();
			int bands = headDim / 4;
			double[][] sin = new double[grid * grid][headDim];
			double[][] cos = new double[grid * grid][headDim];
			for (int r = 0; r < grid; r++) {
				for (int c = 0; c < grid; c++) {
					double[] angles = new double[2 * bands];
					for (int j = 0; j < bands; j++) {
						double band = 1 / Math.pow(temperature, (double) j / bands);
						angles[j] = (double) r / grid * reference * band;
						angles[bands + j] = (double) c / grid * reference * band;
					}
					for (int d = 0; d < headDim; d++) {
						sin[r * grid + c][d] = Math.sin(angles[d / 2]);
						cos[r * grid + c][d] = Math.cos(angles[d / 2]);
					}
				}
			}
			return new double[][][] { sin, cos };
		}

		/** EvaBlock: pre-norm attention and SwiGLU, no LayerScale. */
		private double[][] block(SafetensorsReader reader, String prefix, double[][] hidden, int heads,
				double[][][] rope) throws IOException {
			int dim = hidden[0].length;
			double[][] normed = layerNorm(hidden, doubles(reader, prefix + "norm1.weight"),
					doubles(reader, prefix + "norm1.bias"), EPS);
			double[] qkvWeight = doubles(reader, prefix + "attn.qkv.weight");
			// qkv bias = [q_bias, k_bias (a zero buffer), v_bias]
			double[] qkvBias = new double[3 * dim];
			System.arraycopy(doubles(reader, prefix + "attn.q_bias"), 0, qkvBias, 0, dim);
			System.arraycopy(doubles(reader, prefix + "attn.v_bias"), 0, qkvBias, 2 * dim, dim);
			double[][] query = rotate(ReferenceMath.linear(normed, qkvWeight, qkvBias, 0, dim), heads, rope);
			double[][] key = rotate(ReferenceMath.linear(normed, qkvWeight, qkvBias, dim, dim), heads, rope);
			double[][] value = ReferenceMath.linear(normed, qkvWeight, qkvBias, 2 * dim, dim);
			double[][] attended = ReferenceMath.attention(query, key, value, heads);
			double[][] afterAttention = addScaled(hidden, linear(reader, attended, prefix + "attn.proj"), null);
			double[][] u = layerNorm(afterAttention, doubles(reader, prefix + "norm2.weight"),
					doubles(reader, prefix + "norm2.bias"), EPS);
			double[][] gate = linear(reader, u, prefix + "mlp.fc1_g");
			double[][] x = linear(reader, u, prefix + "mlp.fc1_x");
			for (int t = 0; t < gate.length; t++) {
				for (int d = 0; d < gate[t].length; d++) {
					x[t][d] *= gate[t][d] / (1 + Math.exp(-gate[t][d]));
				}
			}
			double[][] mlp = linear(reader, layerNorm(x, doubles(reader, prefix + "mlp.norm.weight"),
					doubles(reader, prefix + "mlp.norm.bias"), EPS), prefix + "mlp.fc2");
			return addScaled(afterAttention, mlp, null);
		}

		/**
		 * apply_rot_embed_cat on every head of the tokens after the prefix:
		 * {@code x·cos + rot(x)·sin}, {@code rot([x0, x1, ...]) = [-x1, x0, ...]}.
		 */
		private double[][] rotate(double[][] x, int heads, double[][][] rope) {
			int headDim = x[0].length / heads;
			double[][] y = new double[x.length][];
			for (int t = 0; t < x.length; t++) {
				y[t] = x[t].clone();
				if (t < this.prefix) {
					continue;
				}
				double[] sin = rope[0][t - this.prefix];
				double[] cos = rope[1][t - this.prefix];
				for (int h = 0; h < heads; h++) {
					for (int d = 0; d < headDim; d++) {
						int i = h * headDim + d;
						double rotated = (d % 2 == 0) ? -x[t][i + 1] : x[t][i - 1];
						y[t][i] = x[t][i] * cos[d] + rotated * sin[d];
					}
				}
			}
			return y;
		}

		/** {@code fc_norm} of the mean of the tokens after the prefix ('avg'). */
		double[][] pooled(double[][] features) throws IOException {
			int dim = features[0].length;
			double[][] mean = new double[1][dim];
			for (int t = this.prefix; t < features.length; t++) {
				for (int d = 0; d < dim; d++) {
					mean[0][d] += features[t][d] / (features.length - this.prefix);
				}
			}
			try (SafetensorsReader reader = SafetensorsReader.open(this.weights)) {
				return layerNorm(mean, doubles(reader, "fc_norm.weight"), doubles(reader, "fc_norm.bias"), EPS);
			}
		}

		private static double[][] linear(SafetensorsReader reader, double[][] x, String name) throws IOException {
			return ReferenceMath.linear(x, doubles(reader, name + ".weight"), doubles(reader, name + ".bias"));
		}

		private static double[] doubles(SafetensorsReader reader, String name) throws IOException {
			return ReferenceMath.doubles(reader.readFloats(name));
		}

	}

}
