package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.StudentFactory;
import ai.phreg.image.Normalization;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

import static ai.phreg.checkpoint.ReferenceMath.addScaled;
import static ai.phreg.checkpoint.ReferenceMath.gelu;
import static ai.phreg.checkpoint.ReferenceMath.layerNorm;

/**
 * Exported Hugging Face folders run as transformers runs them: a forward written here
 * from transformers' {@code Dinov2Model} / {@code Dinov2WithRegistersModel} modeling code
 * (embeddings, {@code Dinov2Layer}, final {@code layernorm}), in double precision over
 * nothing but the exported {@code config.json} and tensors, gives phreg's own
 * {@code last_hidden_state} at the native size. phreg's loader is not involved.
 */
class HuggingFaceExportReferenceTests {

	/** The fixtures' README: float32 against a float64 reference, different order. */
	private static final double TOLERANCE = 1e-4;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path folder;

	@Test
	void aPlainModelsExportRunsLikePhregsModel() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer teacher = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).teacher();

			assertSameOutput(teacher, export(teacher, "teacher"), manager);
		}
	}

	@Test
	void aStudentWithRegistersExportRunsLikePhregsModel() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer teacher = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).teacher();
			LoadedModel loadedTeacher = CheckpointLoader.load(export(teacher, "teacher"), manager);
			VisionTransformer student = StudentFactory.create(loadedTeacher, 4, 11, manager);

			Path exported = export(student, "student");

			assertThat(JSON.readTree(exported.resolve("config.json").toFile()).path("num_register_tokens").asInt())
				.isEqualTo(4);
			assertSameOutput(student, exported, manager);
		}
	}

	private Path export(VisionTransformer model, String name) throws IOException {
		Path target = this.folder.resolve(name);
		CheckpointExporter.export(model, CheckpointFormat.DINOV2_HF, target, DType.F32, Map.of(),
				Normalization.IMAGENET);
		return target;
	}

	private static void assertSameOutput(VisionTransformer model, Path exported, NDManager manager) throws IOException {
		int size = model.config().imageSize();
		float[] pixels = new float[3 * size * size];
		Random random = new Random(5);
		for (int i = 0; i < pixels.length; i++) {
			pixels[i] = (float) random.nextGaussian();
		}
		float[] ours;
		try (NDManager step = manager.newSubManager()) {
			NDArray input = step.create(pixels, new Shape(1, 3, size, size));
			ours = model.forward(new ParameterStore(step, false), input, false, false).tokens().toFloatArray();
		}

		double[][] reference = new TransformersDinov2(exported).lastHiddenState(pixels, size);

		assertThat(ours.length).isEqualTo(reference.length * reference[0].length);
		double worst = ReferenceMath.worstExcess(ours, reference, TOLERANCE);
		assertThat(worst).as("largest |ours - reference| beyond the relative tolerance").isLessThan(TOLERANCE);
	}

	/**
	 * transformers' DINOv2 forward at the native size (no position interpolation), read
	 * from the folder as {@code from_pretrained} would.
	 */
	private static final class TransformersDinov2 {

		private final JsonNode config;

		private final SafetensorsReader weights;

		TransformersDinov2(Path folder) throws IOException {
			this.config = JSON.readTree(folder.resolve("config.json").toFile());
			this.weights = SafetensorsReader.open(folder.resolve("model.safetensors"));
		}

		double[][] lastHiddenState(float[] pixels, int size) throws IOException {
			try (this.weights) {
				int dim = this.config.path("hidden_size").asInt();
				int patch = this.config.path("patch_size").asInt();
				int heads = this.config.path("num_attention_heads").asInt();
				int registers = this.config.path("num_register_tokens").asInt(0);
				double eps = this.config.path("layer_norm_eps").asDouble();
				assertThat(this.config.path("hidden_act").asString()).isEqualTo("gelu");
				assertThat(this.config.path("image_size").asInt()).isEqualTo(size);
				int grid = size / patch;
				// Dinov2Embeddings: patchify, class token first, position embeddings
				// added, then (with registers) the register tokens inserted after the
				// class token.
				double[][] patches = ReferenceMath.patchEmbeddings(pixels, size, patch,
						doubles("embeddings.patch_embeddings.projection.weight"),
						doubles("embeddings.patch_embeddings.projection.bias"), dim);
				double[] position = doubles("embeddings.position_embeddings");
				double[] cls = doubles("embeddings.cls_token");
				double[][] hidden = new double[1 + registers + grid * grid][dim];
				for (int d = 0; d < dim; d++) {
					hidden[0][d] = cls[d] + position[d];
				}
				if (registers > 0) {
					double[] registerTokens = doubles("embeddings.register_tokens");
					for (int r = 0; r < registers; r++) {
						System.arraycopy(registerTokens, r * dim, hidden[1 + r], 0, dim);
					}
				}
				for (int p = 0; p < grid * grid; p++) {
					for (int d = 0; d < dim; d++) {
						hidden[1 + registers + p][d] = patches[p][d] + position[(1 + p) * dim + d];
					}
				}
				int layers = this.config.path("num_hidden_layers").asInt();
				for (int layer = 0; layer < layers; layer++) {
					hidden = layer("encoder.layer." + layer + ".", hidden, heads, eps);
				}
				return layerNorm(hidden, doubles("layernorm.weight"), doubles("layernorm.bias"), eps);
			}
		}

		/** Dinov2Layer: pre-norm attention and MLP, each scaled by LayerScale. */
		private double[][] layer(String prefix, double[][] hidden, int heads, double eps) throws IOException {
			double[][] normed = layerNorm(hidden, doubles(prefix + "norm1.weight"), doubles(prefix + "norm1.bias"),
					eps);
			double[][] attention = linear(attention(prefix + "attention.attention.", normed, heads),
					prefix + "attention.output.dense");
			double[][] afterAttention = addScaled(hidden, attention, doubles(prefix + "layer_scale1.lambda1"));
			double[][] mlp = linear(gelu(linear(
					layerNorm(afterAttention, doubles(prefix + "norm2.weight"), doubles(prefix + "norm2.bias"), eps),
					prefix + "mlp.fc1")), prefix + "mlp.fc2");
			return addScaled(afterAttention, mlp, doubles(prefix + "layer_scale2.lambda1"));
		}

		/** Dinov2SelfAttention: separate query, key and value, softmax(qk^T/sqrt(d))v. */
		private double[][] attention(String prefix, double[][] x, int heads) throws IOException {
			return ReferenceMath.attention(linear(x, prefix + "query"), linear(x, prefix + "key"),
					linear(x, prefix + "value"), heads);
		}

		/** nn.Linear named {@code name}. */
		private double[][] linear(double[][] x, String name) throws IOException {
			return ReferenceMath.linear(x, doubles(name + ".weight"), doubles(name + ".bias"));
		}

		private double[] doubles(String name) throws IOException {
			return ReferenceMath.doubles(this.weights.readFloats(name));
		}

	}

}
