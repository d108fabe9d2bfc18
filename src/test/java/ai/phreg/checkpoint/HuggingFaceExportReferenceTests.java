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

		int dim = reference[0].length;
		assertThat(ours.length).isEqualTo(reference.length * dim);
		double worst = 0;
		for (int token = 0; token < reference.length; token++) {
			for (int d = 0; d < dim; d++) {
				double expected = reference[token][d];
				double excess = Math.abs(ours[token * dim + d] - expected) - TOLERANCE * Math.abs(expected);
				worst = Math.max(worst, excess);
			}
		}
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
				// added,
				// then (with registers) the register tokens inserted after the class
				// token.
				double[][] patches = patchEmbeddings(pixels, size, patch, dim);
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
			double[][] query = linear(x, prefix + "query");
			double[][] key = linear(x, prefix + "key");
			double[][] value = linear(x, prefix + "value");
			int tokens = x.length;
			int dim = query[0].length;
			int headDim = dim / heads;
			double scale = 1 / Math.sqrt(headDim);
			double[][] context = new double[tokens][dim];
			for (int h = 0; h < heads; h++) {
				int offset = h * headDim;
				for (int i = 0; i < tokens; i++) {
					double[] scores = new double[tokens];
					double max = Double.NEGATIVE_INFINITY;
					for (int j = 0; j < tokens; j++) {
						double dot = 0;
						for (int d = 0; d < headDim; d++) {
							dot += query[i][offset + d] * key[j][offset + d];
						}
						scores[j] = dot * scale;
						max = Math.max(max, scores[j]);
					}
					double sum = 0;
					for (int j = 0; j < tokens; j++) {
						scores[j] = Math.exp(scores[j] - max);
						sum += scores[j];
					}
					for (int j = 0; j < tokens; j++) {
						double weight = scores[j] / sum;
						for (int d = 0; d < headDim; d++) {
							context[i][offset + d] += weight * value[j][offset + d];
						}
					}
				}
			}
			return context;
		}

		/** Dinov2PatchEmbeddings: a patch-sized, patch-strided convolution. */
		private double[][] patchEmbeddings(float[] pixels, int size, int patch, int dim) throws IOException {
			double[] weight = doubles("embeddings.patch_embeddings.projection.weight");
			double[] bias = doubles("embeddings.patch_embeddings.projection.bias");
			int grid = size / patch;
			double[][] out = new double[grid * grid][dim];
			for (int row = 0; row < grid; row++) {
				for (int col = 0; col < grid; col++) {
					double[] token = out[row * grid + col];
					for (int o = 0; o < dim; o++) {
						double sum = bias[o];
						for (int c = 0; c < 3; c++) {
							for (int y = 0; y < patch; y++) {
								for (int x = 0; x < patch; x++) {
									sum += weight[((o * 3 + c) * patch + y) * patch + x]
											* pixels[(c * size + row * patch + y) * size + col * patch + x];
								}
							}
						}
						token[o] = sum;
					}
				}
			}
			return out;
		}

		/** nn.Linear: {@code x W^T + b} with W stored {@code (out, in)}. */
		private double[][] linear(double[][] x, String name) throws IOException {
			double[] weight = doubles(name + ".weight");
			double[] bias = doubles(name + ".bias");
			int in = x[0].length;
			int out = bias.length;
			double[][] y = new double[x.length][out];
			for (int t = 0; t < x.length; t++) {
				for (int o = 0; o < out; o++) {
					double sum = bias[o];
					for (int i = 0; i < in; i++) {
						sum += x[t][i] * weight[o * in + i];
					}
					y[t][o] = sum;
				}
			}
			return y;
		}

		private static double[][] layerNorm(double[][] x, double[] gamma, double[] beta, double eps) {
			double[][] y = new double[x.length][];
			for (int t = 0; t < x.length; t++) {
				double mean = 0;
				for (double v : x[t]) {
					mean += v;
				}
				mean /= x[t].length;
				double variance = 0;
				for (double v : x[t]) {
					variance += (v - mean) * (v - mean);
				}
				variance /= x[t].length;
				double inverse = 1 / Math.sqrt(variance + eps);
				y[t] = new double[x[t].length];
				for (int d = 0; d < x[t].length; d++) {
					y[t][d] = (x[t][d] - mean) * inverse * gamma[d] + beta[d];
				}
			}
			return y;
		}

		private static double[][] addScaled(double[][] residual, double[][] x, double[] scale) {
			double[][] y = new double[x.length][x[0].length];
			for (int t = 0; t < x.length; t++) {
				for (int d = 0; d < x[t].length; d++) {
					y[t][d] = residual[t][d] + scale[d] * x[t][d];
				}
			}
			return y;
		}

		/** transformers' "gelu": the exact, erf-based GELU. */
		private static double[][] gelu(double[][] x) {
			double[][] y = new double[x.length][x[0].length];
			for (int t = 0; t < x.length; t++) {
				for (int d = 0; d < x[t].length; d++) {
					double v = x[t][d];
					y[t][d] = 0.5 * v * (1 + erf(v / Math.sqrt(2)));
				}
			}
			return y;
		}

		/** erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
		private static double erf(double x) {
			double t = 1 / (1 + 0.3275911 * Math.abs(x));
			double polynomial = t
					* (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
			double value = 1 - polynomial * Math.exp(-x * x);
			return (x >= 0) ? value : -value;
		}

		private double[] doubles(String name) throws IOException {
			float[] values = this.weights.readFloats(name);
			double[] result = new double[values.length];
			for (int i = 0; i < values.length; i++) {
				result[i] = values[i];
			}
			return result;
		}

	}

}
