package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.distill.StudentFactory;
import ai.phreg.image.Normalization;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.ViTOutput;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

import static ai.phreg.checkpoint.ReferenceMath.addScaled;
import static ai.phreg.checkpoint.ReferenceMath.attention;
import static ai.phreg.checkpoint.ReferenceMath.layerNorm;
import static ai.phreg.checkpoint.ReferenceMath.linear;

/**
 * A CLIP student with registers, exported as OpenCLIP's hub folder, runs as the README
 * tells a loader to run it: a forward written here from OpenAI CLIP's {@code model.py}
 * {@code VisionTransformer} ({@code conv1}, {@code class_embedding},
 * {@code positional_embedding}, {@code ln_pre}, {@code transformer.resblocks},
 * {@code ln_post}, {@code proj}), in double precision over nothing but
 * {@code open_clip_model.safetensors} and {@code open_clip_config.json}, with
 * {@code visual.register_tokens} appended after the patch tokens, after the position
 * embedding and before {@code ln_pre}. It gives phreg's own patch tokens and projected
 * image embedding. phreg's loader is not involved.
 */
class ClipExportReferenceTests {

	/** The fixtures' README: float32 against a float64 reference, different order. */
	private static final double TOLERANCE = 1e-4;

	private static final int REGISTERS = 4;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path folder;

	@Test
	void anOpenAiStudentWithRegistersRunsLikePhregsModel() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(clipFixture(), manager);
			assertThat(teacher.model().config().activation()).isEqualTo(MlpActivation.QUICK_GELU);

			assertExportRunsLikeStudent(teacher, manager);
		}
	}

	@Test
	void anOpenClipStudentWithExactGeluRunsLikePhregsModel() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(clipFixture(), manager,
					(config) -> config.toBuilder().optActivation(MlpActivation.GELU).build());

			assertExportRunsLikeStudent(teacher, manager);
		}
	}

	/** The CLIP teacher the shared manifest describes as OpenAI's VisionTransformer. */
	private static Path clipFixture() throws IOException {
		JsonNode manifest = JSON.readTree(Fixtures.resolve("manifest.json").toFile());
		assertThat(manifest.path("configs").path("clip_vit").path("arch").asString())
			.contains("clip/model.py VisionTransformer");
		return Fixtures.resolve("clip/clip_vit.weights.safetensors");
	}

	private void assertExportRunsLikeStudent(LoadedModel teacher, NDManager manager) throws IOException {
		VisionTransformer student = StudentFactory.create(teacher, REGISTERS, 17, manager);
		Path exported = this.folder.resolve("student");
		CheckpointExporter.export(student, CheckpointFormat.CLIP_OPENAI, exported, DType.F32, Map.of(),
				Normalization.CLIP);

		int size = student.config().imageSize();
		float[] pixels = new float[3 * size * size];
		Random random = new Random(5);
		for (int i = 0; i < pixels.length; i++) {
			pixels[i] = (float) random.nextGaussian();
		}
		float[] ourPatches;
		float[] ourRegisters;
		float[] ourEmbedding;
		try (NDManager step = manager.newSubManager()) {
			NDArray input = step.create(pixels, new Shape(1, 3, size, size));
			ViTOutput output = student.forward(new ParameterStore(step, false), input, false, false);
			ourPatches = output.patchTokens().toFloatArray();
			ourRegisters = output.registerTokens().toFloatArray();
			ourEmbedding = output.projectedClassToken().toFloatArray();
		}

		OpenAiClipVisual reference = new OpenAiClipVisual(exported);
		reference.run(pixels, size);

		assertThat(reference.registers).as("register tokens of the export").isEqualTo(REGISTERS);
		assertThat(ReferenceMath.worstExcess(ourPatches, reference.patchTokens(), TOLERANCE))
			.as("largest |ours - reference| of the patch tokens beyond the relative tolerance")
			.isLessThan(TOLERANCE);
		assertThat(ReferenceMath.worstExcess(ourRegisters, reference.registerTokens(), TOLERANCE))
			.as("largest |ours - reference| of the register tokens beyond the relative tolerance")
			.isLessThan(TOLERANCE);
		assertThat(ReferenceMath.worstExcess(ourEmbedding, new double[][] { reference.imageEmbedding() }, TOLERANCE))
			.as("largest |ours - reference| of the projected image embedding beyond the relative tolerance")
			.isLessThan(TOLERANCE);
	}

	/**
	 * OpenAI CLIP's {@code VisionTransformer.forward} at the native size, read from the
	 * folder as OpenCLIP's hub loader would, plus the register tokens exactly as the
	 * README and the config's {@code phreg} note place them. Beyond the pooled output,
	 * {@code ln_post} is applied to every token, as dense CLIP uses do.
	 */
	private static final class OpenAiClipVisual {

		private final JsonNode config;

		private final SafetensorsReader weights;

		private int registers;

		private int grid;

		private double[][] tokens;

		private double[] imageEmbedding;

		OpenAiClipVisual(Path folder) throws IOException {
			this.config = JSON.readTree(folder.resolve("open_clip_config.json").toFile());
			this.weights = SafetensorsReader.open(folder.resolve("open_clip_model.safetensors"));
		}

		void run(float[] pixels, int size) throws IOException {
			try (this.weights) {
				JsonNode model = this.config.path("model_cfg");
				JsonNode vision = model.path("vision_cfg");
				int width = vision.path("width").asInt();
				int patch = vision.path("patch_size").asInt();
				int heads = width / vision.path("head_width").asInt();
				boolean quickGelu = model.path("quick_gelu").asBoolean();
				assertThat(vision.path("image_size").asInt()).isEqualTo(size);
				this.grid = size / patch;
				int patchCount = this.grid * this.grid;
				long[] registerShape = this.weights.info("visual.register_tokens").shape();
				assertThat(registerShape).hasSize(2);
				assertThat(registerShape[1]).isEqualTo(width);
				this.registers = (int) registerShape[0];
				assertThat(this.config.path("phreg").path("register_tokens").asInt()).isEqualTo(this.registers);

				// conv1 (no bias), flattened row-major over the grid.
				double[][] patches = ReferenceMath.patchEmbeddings(pixels, size, patch, doubles("visual.conv1.weight"),
						null, width);
				// [class_embedding, patches] + positional_embedding, then the registers
				// (no position embedding), then ln_pre.
				double[] cls = doubles("visual.class_embedding");
				double[] position = doubles("visual.positional_embedding");
				double[] registerTokens = doubles("visual.register_tokens");
				// Registers that are all zero would pass wherever they were placed.
				assertThat(Arrays.stream(registerTokens).anyMatch((v) -> Math.abs(v) > 1e-3)).isTrue();
				assertThat(position).hasSize((1 + patchCount) * width);
				double[][] x = new double[1 + patchCount + this.registers][width];
				for (int d = 0; d < width; d++) {
					x[0][d] = cls[d] + position[d];
				}
				for (int p = 0; p < patchCount; p++) {
					for (int d = 0; d < width; d++) {
						x[1 + p][d] = patches[p][d] + position[(1 + p) * width + d];
					}
				}
				for (int r = 0; r < this.registers; r++) {
					System.arraycopy(registerTokens, r * width, x[1 + patchCount + r], 0, width);
				}
				double eps = 1e-5;
				x = layerNorm(x, doubles("visual.ln_pre.weight"), doubles("visual.ln_pre.bias"), eps);
				String blocks = "visual.transformer.resblocks.";
				for (int layer = 0; this.weights.contains(blocks + layer + ".ln_1.weight"); layer++) {
					x = residualAttentionBlock(blocks + layer + ".", x, heads, quickGelu, eps);
				}
				this.tokens = layerNorm(x, doubles("visual.ln_post.weight"), doubles("visual.ln_post.bias"), eps);
				// x = ln_post(x[:, 0, :]) @ proj, with proj stored (width, output_dim)
				double[] proj = doubles("visual.proj");
				int out = proj.length / width;
				this.imageEmbedding = new double[out];
				for (int o = 0; o < out; o++) {
					for (int d = 0; d < width; d++) {
						this.imageEmbedding[o] += this.tokens[0][d] * proj[d * out + o];
					}
				}
			}
		}

		double[][] patchTokens() {
			return Arrays.copyOfRange(this.tokens, 1, 1 + this.grid * this.grid);
		}

		double[][] registerTokens() {
			return Arrays.copyOfRange(this.tokens, 1 + this.grid * this.grid, this.tokens.length);
		}

		double[] imageEmbedding() {
			return this.imageEmbedding;
		}

		/**
		 * ResidualAttentionBlock: {@code x + attn(ln_1(x))}, then
		 * {@code x + mlp(ln_2(x))} with mlp {@code c_fc, (Quick)GELU, c_proj}.
		 */
		private double[][] residualAttentionBlock(String prefix, double[][] x, int heads, boolean quickGelu, double eps)
				throws IOException {
			double[][] normed = layerNorm(x, doubles(prefix + "ln_1.weight"), doubles(prefix + "ln_1.bias"), eps);
			// nn.MultiheadAttention: in_proj_weight (3W, W) packs query, key, value.
			double[] inWeight = doubles(prefix + "attn.in_proj_weight");
			double[] inBias = doubles(prefix + "attn.in_proj_bias");
			int width = x[0].length;
			double[][] context = attention(linear(normed, inWeight, inBias, 0, width),
					linear(normed, inWeight, inBias, width, width), linear(normed, inWeight, inBias, 2 * width, width),
					heads);
			double[][] attended = addScaled(x,
					linear(context, doubles(prefix + "attn.out_proj.weight"), doubles(prefix + "attn.out_proj.bias")),
					null);
			double[][] hidden = linear(
					layerNorm(attended, doubles(prefix + "ln_2.weight"), doubles(prefix + "ln_2.bias"), eps),
					doubles(prefix + "mlp.c_fc.weight"), doubles(prefix + "mlp.c_fc.bias"));
			double[][] activated = quickGelu ? ReferenceMath.quickGelu(hidden) : ReferenceMath.gelu(hidden);
			return addScaled(attended,
					linear(activated, doubles(prefix + "mlp.c_proj.weight"), doubles(prefix + "mlp.c_proj.bias")),
					null);
		}

		private double[] doubles(String name) throws IOException {
			return ReferenceMath.doubles(this.weights.readFloats(name));
		}

	}

}
