package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import ai.phreg.FixtureCheckpoint;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

import static ai.phreg.checkpoint.ReferenceMath.addScaled;
import static ai.phreg.checkpoint.ReferenceMath.geluTanh;
import static ai.phreg.checkpoint.ReferenceMath.layerNorm;

/**
 * A SigLIP student exported in timm's layout runs as timm runs it: a forward written here
 * from timm's {@code VisionTransformer} ({@code _pos_embed} with {@code no_embed_class},
 * {@code reg_token} prepended, {@code Block}, final {@code norm}, {@code pool} handing
 * the MAP head ({@code AttentionPoolLatent}) the tokens after the prefix unless
 * {@code pool_include_prefix}), in double precision over nothing but the exported
 * {@code config.json} and tensors, gives phreg's own last hidden state and pooled vector
 * at the native size. phreg's loader is not involved.
 */
class TimmSigLipExportReferenceTests {

	/** The fixtures' README: float32 against a float64 reference, different order. */
	private static final double TOLERANCE = 1e-4;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path folder;

	@Test
	void aStudentWithRegistersRunsAsTimmRunsIt() throws IOException {
		List<FixtureCheckpoint> fixtures = ExportedStudent.fixtures(CheckpointFormat.SIGLIP_TIMM);
		assertThat(fixtures).as("a timm SigLIP fixture").isNotEmpty();
		ExportedStudent student = ExportedStudent.of(fixtures.get(fixtures.size() - 1), CheckpointFormat.SIGLIP_TIMM,
				this.folder.resolve("student"));

		TimmSigLip timm = new TimmSigLip(student.location());
		double[][] features = timm.lastHiddenState(student.pixels(), student.size());
		double[][] head = timm.pooled(features);

		assertThat(student.tokens().length).isEqualTo(features.length * features[0].length);
		assertThat(ReferenceMath.worstExcess(student.tokens(), features, TOLERANCE)).as("last hidden state")
			.isLessThan(TOLERANCE);
		assertThat(ReferenceMath.worstExcess(student.pooled(), head, TOLERANCE)).as("pooled").isLessThan(TOLERANCE);
	}

	/**
	 * timm's SigLIP {@code VisionTransformer} at the native size, read from the folder as
	 * {@code timm.create_model("local-dir:...")} would.
	 */
	private static final class TimmSigLip {

		private static final double EPS = 1e-6;

		private final JsonNode args;

		private final Path weights;

		TimmSigLip(Path folder) throws IOException {
			this.args = JSON.readTree(folder.resolve("config.json").toFile()).path("model_args");
			this.weights = folder.resolve("model.safetensors");
			assertThat(this.args.path("act_layer").asString()).isEqualTo("gelu_tanh");
			assertThat(this.args.path("class_token").asBoolean()).isFalse();
			assertThat(this.args.path("global_pool").asString()).isEqualTo("map");
		}

		double[][] lastHiddenState(float[] pixels, int size) throws IOException {
			int dim = this.args.path("embed_dim").asInt();
			int patch = this.args.path("patch_size").asInt();
			int registers = this.args.path("reg_tokens").asInt(0);
			assertThat(this.args.path("img_size").asInt()).isEqualTo(size);
			int grid = size / patch;
			try (SafetensorsReader reader = SafetensorsReader.open(this.weights)) {
				double[][] patches = ReferenceMath.patchEmbeddings(pixels, size, patch,
						doubles(reader, "patch_embed.proj.weight"), doubles(reader, "patch_embed.proj.bias"), dim);
				double[] position = doubles(reader, "pos_embed");
				// _pos_embed: no_embed_class adds the position embedding to the patches,
				// then prepends the register tokens; otherwise it has a row for each.
				int positionOffset = this.args.path("no_embed_class").asBoolean() ? 0 : registers;
				double[][] hidden = new double[registers + grid * grid][dim];
				if (registers > 0) {
					double[] registerTokens = doubles(reader, "reg_token");
					for (int r = 0; r < registers; r++) {
						for (int d = 0; d < dim; d++) {
							hidden[r][d] = registerTokens[r * dim + d]
									+ ((positionOffset > 0) ? position[r * dim + d] : 0);
						}
					}
				}
				for (int p = 0; p < grid * grid; p++) {
					for (int d = 0; d < dim; d++) {
						hidden[registers + p][d] = patches[p][d] + position[(positionOffset + p) * dim + d];
					}
				}
				int heads = this.args.path("num_heads").asInt();
				for (int block = 0; block < this.args.path("depth").asInt(); block++) {
					hidden = block(reader, "blocks." + block + ".", hidden, heads);
				}
				return layerNorm(hidden, doubles(reader, "norm.weight"), doubles(reader, "norm.bias"), EPS);
			}
		}

		/** Block: pre-norm attention (fused qkv) and MLP, no LayerScale. */
		private double[][] block(SafetensorsReader reader, String prefix, double[][] hidden, int heads)
				throws IOException {
			int dim = hidden[0].length;
			double[][] normed = layerNorm(hidden, doubles(reader, prefix + "norm1.weight"),
					doubles(reader, prefix + "norm1.bias"), EPS);
			double[] qkvWeight = doubles(reader, prefix + "attn.qkv.weight");
			double[] qkvBias = doubles(reader, prefix + "attn.qkv.bias");
			double[][] attended = ReferenceMath.attention(ReferenceMath.linear(normed, qkvWeight, qkvBias, 0, dim),
					ReferenceMath.linear(normed, qkvWeight, qkvBias, dim, dim),
					ReferenceMath.linear(normed, qkvWeight, qkvBias, 2 * dim, dim), heads);
			double[][] afterAttention = addScaled(hidden, linear(reader, attended, prefix + "attn.proj"), null);
			double[][] mlp = mlp(reader, prefix + "mlp.", layerNorm(afterAttention,
					doubles(reader, prefix + "norm2.weight"), doubles(reader, prefix + "norm2.bias"), EPS));
			return addScaled(afterAttention, mlp, null);
		}

		/**
		 * {@code pool}: the MAP head over the tokens after the prefix (the registers)
		 * unless {@code pool_include_prefix}; AttentionPoolLatent's probe attends, then
		 * {@code x + mlp(norm(x))}, token 0.
		 */
		double[][] pooled(double[][] hidden) throws IOException {
			int registers = this.args.path("reg_tokens").asInt(0);
			int first = this.args.path("pool_include_prefix").asBoolean(false) ? 0 : registers;
			double[][] tokens = Arrays.copyOfRange(hidden, first, hidden.length);
			int dim = hidden[0].length;
			int heads = this.args.path("num_heads").asInt();
			try (SafetensorsReader reader = SafetensorsReader.open(this.weights)) {
				double[][] probe = { doubles(reader, "attn_pool.latent") };
				double[] kvWeight = doubles(reader, "attn_pool.kv.weight");
				double[] kvBias = doubles(reader, "attn_pool.kv.bias");
				double[][] attended = ReferenceMath.attention(linear(reader, probe, "attn_pool.q"),
						ReferenceMath.linear(tokens, kvWeight, kvBias, 0, dim),
						ReferenceMath.linear(tokens, kvWeight, kvBias, dim, dim), heads);
				double[][] out = linear(reader, attended, "attn_pool.proj");
				double[][] mlp = mlp(reader, "attn_pool.mlp.", layerNorm(out, doubles(reader, "attn_pool.norm.weight"),
						doubles(reader, "attn_pool.norm.bias"), EPS));
				return addScaled(out, mlp, null);
			}
		}

		private static double[][] mlp(SafetensorsReader reader, String prefix, double[][] x) throws IOException {
			return linear(reader, geluTanh(linear(reader, x, prefix + "fc1")), prefix + "fc2");
		}

		private static double[][] linear(SafetensorsReader reader, double[][] x, String name) throws IOException {
			return ReferenceMath.linear(x, doubles(reader, name + ".weight"), doubles(reader, name + ".bias"));
		}

		private static double[] doubles(SafetensorsReader reader, String name) throws IOException {
			return ReferenceMath.doubles(reader.readFloats(name));
		}

	}

}
