package ai.phreg.distill;

import java.io.IOException;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * CLIP's dense heads on the fixture CLIP tower, against a direct transcription from the
 * checkpoint's own tensors ({@code in_proj_weight} rows q|k|v, {@code out_proj},
 * {@code ln_post}, {@code proj}), so that a head reading the wrong slice or skipping a
 * step fails.
 */
class DenseHeadsTests {

	private static final String TOWER = "visual.transformer.resblocks.";

	@Test
	void neighbourhoodWindowIsAGaussianBetweenPatchesAndZeroForTheClassToken() {
		// 1 class token + a 2x3 grid
		float[] window = DenseHeads.neighbourhood(7, 2, 3, 5.0);

		assertThat(window[0]).isZero();
		assertThat(window[3]).isZero();
		assertThat(window[7 * 2]).isZero();
		assertThat((double) window[7 * 1 + 1]).isCloseTo(1.0, within(1e-7));
		// patch (0,0) to (1,2): d² = 1 + 4
		assertThat((double) window[7 * 1 + 6]).isCloseTo(Math.exp(-5 / 50.0), within(1e-7));
		assertThat(window[7 * 6 + 1]).isEqualTo(window[7 * 1 + 6]);
	}

	@Test
	void valueHeadIsOutProjOfValueProjOfTheNormalizedInputThenLnPostAndProj() throws IOException {
		try (NDManager manager = NDManager.newBaseManager();
				SafetensorsReader weights = SafetensorsReader
					.open(Fixtures.resolve("clip/clip_vit.weights.safetensors"))) {
			LoadedModel clip = CheckpointLoader.load(Fixtures.resolve("clip/clip_vit.weights.safetensors"), manager);
			NDArray pixels = pixels(manager);
			ParameterStore store = new ParameterStore(manager, false);

			NDArray head = DenseHeads.valueHead(clip.model()).of(store, pixels, false);

			int last = clip.model().config().depth() - 1;
			int width = clip.model().config().embedDim();
			NDArray x = clip.model().encode(store, pixels, false, last);
			NDArray h = layerNorm(manager, weights, x, TOWER + last + ".ln_1", 1e-5f);
			NDArray inProj = tensor(manager, weights, TOWER + last + ".attn.in_proj_weight");
			NDArray inBias = tensor(manager, weights, TOWER + last + ".attn.in_proj_bias");
			NDArray v = h.matMul(inProj.get(2 * width + ":").transpose()).add(inBias.get(2 * width + ":"));
			NDArray out = v.matMul(tensor(manager, weights, TOWER + last + ".attn.out_proj.weight").transpose())
				.add(tensor(manager, weights, TOWER + last + ".attn.out_proj.bias"));
			NDArray expected = layerNorm(manager, weights, out, "visual.ln_post", 1e-5f)
				.matMul(tensor(manager, weights, "visual.proj"))
				.get(":, 1:, :");
			assertThat(head.getShape()).isEqualTo(new Shape(1, 25, 64));
			assertThat(head.sub(expected).abs().max().getFloat()).isLessThan(1e-4f);
		}
	}

	@Test
	void naclipAttendsKeyToKeyWithTheWindowAndNoResidual() throws IOException {
		try (NDManager manager = NDManager.newBaseManager();
				SafetensorsReader weights = SafetensorsReader
					.open(Fixtures.resolve("clip/clip_vit.weights.safetensors"))) {
			LoadedModel clip = CheckpointLoader.load(Fixtures.resolve("clip/clip_vit.weights.safetensors"), manager);
			NDArray pixels = pixels(manager);
			ParameterStore store = new ParameterStore(manager, false);

			NDArray head = DenseHeads.naclip(clip.model(), 5.0).of(store, pixels, false);

			int last = clip.model().config().depth() - 1;
			int width = clip.model().config().embedDim();
			int heads = clip.model().config().numHeads();
			int headDim = width / heads;
			NDArray x = clip.model().encode(store, pixels, false, last);
			NDArray h = layerNorm(manager, weights, x, TOWER + last + ".ln_1", 1e-5f).get(0);
			NDArray inProj = tensor(manager, weights, TOWER + last + ".attn.in_proj_weight");
			NDArray inBias = tensor(manager, weights, TOWER + last + ".attn.in_proj_bias");
			NDArray window = manager.create(DenseHeads.neighbourhood(26, 5, 5, 5.0), new Shape(26, 26));
			NDArray[] perHead = new NDArray[heads];
			for (int i = 0; i < heads; i++) {
				String keys = (width + i * headDim) + ":" + (width + (i + 1) * headDim);
				String values = (2 * width + i * headDim) + ":" + (2 * width + (i + 1) * headDim);
				NDArray k = h.matMul(inProj.get(keys).transpose()).add(inBias.get(keys));
				NDArray v = h.matMul(inProj.get(values).transpose()).add(inBias.get(values));
				NDArray attention = k.matMul(k.transpose()).div(Math.sqrt(headDim)).add(window).softmax(-1);
				perHead[i] = attention.matMul(v);
			}
			NDArray mixed = NDArrays.concat(new NDList(perHead), 1);
			NDArray out = mixed.matMul(tensor(manager, weights, TOWER + last + ".attn.out_proj.weight").transpose())
				.add(tensor(manager, weights, TOWER + last + ".attn.out_proj.bias"));
			NDArray expected = layerNorm(manager, weights, out, "visual.ln_post", 1e-5f)
				.matMul(tensor(manager, weights, "visual.proj"))
				.get("1:, :");
			assertThat(head.get(0).sub(expected).abs().max().getFloat()).isLessThan(1e-4f);
		}
	}

	private static NDArray pixels(NDManager manager) throws IOException {
		try (SafetensorsReader inputs = SafetensorsReader.open(Fixtures.resolve("image/inputs.safetensors"))) {
			return manager.create(inputs.readFloats("clip.pixel_values"),
					new Shape(inputs.info("clip.pixel_values").shape()));
		}
	}

	private static NDArray tensor(NDManager manager, SafetensorsReader reader, String name) throws IOException {
		return manager.create(reader.readFloats(name), new Shape(reader.info(name).shape()));
	}

	private static NDArray layerNorm(NDManager manager, SafetensorsReader reader, NDArray x, String prefix, float eps)
			throws IOException {
		NDArray weight = tensor(manager, reader, prefix + ".weight");
		return LayerNorm.layerNorm(x, weight.getShape(), weight, tensor(manager, reader, prefix + ".bias"), eps)
			.singletonOrThrow();
	}

}
