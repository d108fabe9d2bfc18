package ai.phreg.model;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static ai.phreg.Differences.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The Vision Transformer on its own, with random weights: parameter naming, batching,
 * input validation, memory scoping and which parameters train.
 */
class VisionTransformerTests {

	private static final int DIM = 16;

	private static final int DEPTH = 2;

	private static final int PATCH = 14;

	private static final int REGISTERS = 2;

	/** Native 28 px = a 2×2 grid; 28×42 is non-square and needs resampling. */
	private static final ViTConfig CONFIG = ViTConfig.builder()
		.setImageSize(28)
		.setPatchSize(PATCH)
		.setEmbedDim(DIM)
		.setDepth(DEPTH)
		.setNumHeads(2)
		.setMlpHiddenDim(32)
		.optLayerScale(true)
		.optPreNorm(true)
		.optRegisters(REGISTERS, RegisterPlacement.AFTER_CLASS_TOKEN)
		.optProjectionDim(8)
		.build();

	@Test
	void parametersCarryTheTimmNamesAndShapes() {
		Map<String, Shape> expected = new HashMap<>();
		expected.put("cls_token", new Shape(1, 1, DIM));
		expected.put("reg_token", new Shape(1, REGISTERS, DIM));
		expected.put("pos_embed", new Shape(1, 1 + 4, DIM));
		expected.put("proj", new Shape(DIM, 8));
		expected.put("patch_embed.proj.weight", new Shape(DIM, 3, PATCH, PATCH));
		expected.put("patch_embed.proj.bias", new Shape(DIM));
		expected.put("norm_pre.weight", new Shape(DIM));
		expected.put("norm_pre.bias", new Shape(DIM));
		for (int i = 0; i < DEPTH; i++) {
			String block = "blocks." + i + ".";
			expected.put(block + "norm1.weight", new Shape(DIM));
			expected.put(block + "norm1.bias", new Shape(DIM));
			expected.put(block + "attn.qkv.weight", new Shape(3 * DIM, DIM));
			expected.put(block + "attn.qkv.bias", new Shape(3 * DIM));
			expected.put(block + "attn.proj.weight", new Shape(DIM, DIM));
			expected.put(block + "attn.proj.bias", new Shape(DIM));
			expected.put(block + "ls1.gamma", new Shape(DIM));
			expected.put(block + "norm2.weight", new Shape(DIM));
			expected.put(block + "norm2.bias", new Shape(DIM));
			expected.put(block + "mlp.fc1.weight", new Shape(32, DIM));
			expected.put(block + "mlp.fc1.bias", new Shape(32));
			expected.put(block + "mlp.fc2.weight", new Shape(DIM, 32));
			expected.put(block + "mlp.fc2.bias", new Shape(DIM));
			expected.put(block + "ls2.gamma", new Shape(DIM));
		}
		expected.put("norm.weight", new Shape(DIM));
		expected.put("norm.bias", new Shape(DIM));

		Map<String, Shape> shapes = new VisionTransformer(CONFIG).parameterShapes();

		assertThat(shapes).isEqualTo(expected);
		// A trainer unlocks and a converter fills parameters by these names: the order
		// must not depend on the instance.
		assertThat(List.copyOf(new VisionTransformer(CONFIG).parameterShapes().keySet()))
			.isEqualTo(List.copyOf(shapes.keySet()));
		// Allocation keeps the names and shapes: initialize must not rename or reshape.
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = VisionTransformer.create(CONFIG, manager);
			for (Pair<String, Parameter> parameter : model.getParameters()) {
				assertThat(parameter.getValue().getArray().getShape()).as(parameter.getKey())
					.isEqualTo(expected.get(parameter.getKey()));
			}
		}
	}

	@Test
	void optionalPartsLeaveNoParameters() {
		ViTConfig plain = CONFIG.toBuilder()
			.optLayerScale(false)
			.optPreNorm(false)
			.optRegisters(0, RegisterPlacement.AFTER_CLASS_TOKEN)
			.optProjectionDim(0)
			.optPatchBias(false)
			.optQkvBias(false)
			.build();

		Set<String> names = new VisionTransformer(plain).parameterShapes().keySet();

		assertThat(names).hasSize(5 + DEPTH * 11)
			.contains("cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.1.attn.qkv.weight", "norm.bias")
			.noneMatch((name) -> name.equals("reg_token") || name.equals("proj") || name.startsWith("norm_pre.")
					|| name.contains(".ls") || name.equals("patch_embed.proj.bias") || name.endsWith("attn.qkv.bias"));
	}

	@ParameterizedTest
	@EnumSource(RegisterPlacement.class)
	void aBatchOfTwoEqualsTwoSingleRuns(RegisterPlacement placement) {
		ViTConfig config = CONFIG.toBuilder().optRegisters(REGISTERS, placement).build();
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = randomModel(config, manager, 1);
			float[] first = randomFloats(3 * 28 * 42, 2, 1f);
			float[] second = randomFloats(3 * 28 * 42, 3, 1f);
			float[] both = new float[first.length * 2];
			System.arraycopy(first, 0, both, 0, first.length);
			System.arraycopy(second, 0, both, first.length, second.length);

			ViTOutput batch = run(model, manager, both, 2, 28, 42);
			ViTOutput one = run(model, manager, first, 1, 28, 42);
			ViTOutput two = run(model, manager, second, 1, 28, 42);

			assertThat(batch.tokens().getShape()).isEqualTo(new Shape(2, 1 + REGISTERS + 2 * 3, DIM));
			assertThat(batch.gridHeight()).isEqualTo(2);
			assertThat(batch.gridWidth()).isEqualTo(3);
			// The two images differ, so equal halves cannot come from a broken broadcast.
			assertThat(maxAbsDiff(one.tokens().toFloatArray(), two.tokens().toFloatArray())).isGreaterThan(1e-2);
			for (Function<ViTOutput, NDArray> part : List.<Function<ViTOutput, NDArray>>of(ViTOutput::tokens,
					ViTOutput::classToken, ViTOutput::registerTokens, ViTOutput::patchTokens,
					ViTOutput::projectedClassToken)) {
				NDArray batched = part.apply(batch);
				assertThat(maxAbsDiff(batched.get(0).toFloatArray(), part.apply(one).get(0).toFloatArray()))
					.isLessThanOrEqualTo(1e-5);
				assertThat(maxAbsDiff(batched.get(1).toFloatArray(), part.apply(two).get(0).toFloatArray()))
					.isLessThanOrEqualTo(1e-5);
			}
		}
	}

	@Test
	void registerPlacementOnlyPermutesTheTokens() {
		// Registers carry no position embedding and attention does not see token order,
		// so moving them behind the patches must reorder the sequence and change nothing
		// else: this pins down where each placement puts, and finds, every token.
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer before = randomModel(CONFIG, manager, 4);
			VisionTransformer after = randomModel(
					CONFIG.toBuilder().optRegisters(REGISTERS, RegisterPlacement.AFTER_PATCHES).build(), manager, 4);
			float[] pixels = randomFloats(3 * 28 * 42, 5, 1f);

			ViTOutput first = run(before, manager, pixels, 1, 28, 42);
			ViTOutput last = run(after, manager, pixels, 1, 28, 42);

			int patches = 6;
			assertClose(last.classToken(), first.classToken());
			assertClose(last.registerTokens(), first.registerTokens());
			assertClose(last.patchTokens(), first.patchTokens());
			assertClose(first.registerTokens(), first.tokens().get(":, 1:" + (1 + REGISTERS) + ", :"));
			assertClose(first.patchTokens(), first.tokens().get(":, " + (1 + REGISTERS) + ":, :"));
			assertClose(last.patchTokens(), last.tokens().get(":, 1:" + (1 + patches) + ", :"));
			assertClose(last.registerTokens(), last.tokens().get(":, " + (1 + patches) + ":, :"));
		}
	}

	@Test
	void refusesPixelsOfTheWrongShapeNamingIt() {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = randomModel(CONFIG, manager, 6);
			ParameterStore store = new ParameterStore(manager, false);
			for (Shape wrong : List.of(new Shape(1, 3, 28, 30), new Shape(1, 3, 27, 28), new Shape(1, 4, 28, 28),
					new Shape(1, 1, 28, 28), new Shape(3, 28, 28), new Shape(1, 1, 3, 28, 28),
					new Shape(1, 3, 0, 28))) {
				NDArray pixels = manager.zeros(wrong);
				assertThatIllegalArgumentException().as("pixels %s", wrong)
					.isThrownBy(() -> model.forward(store, pixels, false, false))
					.withMessageContaining(wrong.toString());
			}
		}
	}

	@Test
	void perStepArraysStayOutOfTheModelsManager() {
		try (NDManager modelManager = NDManager.newBaseManager()) {
			VisionTransformer model = randomModel(CONFIG, modelManager, 7);
			int managed = modelManager.getManagedArrays().size();
			// Native and resampled grids, with and without hidden states.
			int[][] sizes = { { 28, 28 }, { 28, 42 }, { 42, 28 } };
			for (int step = 0; step < 6; step++) {
				int[] size = sizes[step % sizes.length];
				try (NDManager stepManager = NDManager.newBaseManager()) {
					ViTOutput output = run(model, stepManager, randomFloats(3 * size[0] * size[1], step, 1f), 1,
							size[0], size[1]);
					assertThat(output.tokens().getManager()).isSameAs(stepManager);
					assertThat(output.positionEmbedding().getManager()).isSameAs(stepManager);
				}
				assertThat(modelManager.getManagedArrays()).as("after inference step %d", step).hasSize(managed);
			}

			model.freezeParameters(false);
			for (int step = 0; step < 6; step++) {
				int[] size = sizes[step % sizes.length];
				try (NDManager stepManager = NDManager.newBaseManager();
						GradientCollector collector = Engine.getInstance().newGradientCollector()) {
					NDArray pixels = stepManager.create(randomFloats(3 * size[0] * size[1], step, 1f),
							new Shape(1, 3, size[0], size[1]));
					ViTOutput output = model.forward(new ParameterStore(stepManager, false), pixels, true, true);
					collector.backward(output.tokens().square().sum().add(output.projectedClassToken().sum()));
				}
				assertThat(modelManager.getManagedArrays()).as("after training step %d", step).hasSize(managed);
			}
		}
	}

	@Test
	void onlyUnfrozenParametersReceiveGradientsAndChange() {
		try (NDManager modelManager = NDManager.newBaseManager()) {
			VisionTransformer model = randomModel(CONFIG, modelManager, 8);
			String lastBlock = "blocks." + (DEPTH - 1) + ".";
			model.freezeParameters(true);
			Set<String> unfrozen = new TreeSet<>();
			for (Pair<String, Parameter> parameter : model.getParameters()) {
				if (parameter.getKey().equals("reg_token") || parameter.getKey().startsWith(lastBlock)) {
					parameter.getValue().freeze(false);
					unfrozen.add(parameter.getKey());
				}
			}
			assertThat(unfrozen).hasSize(1 + 14);
			Map<String, float[]> initial = values(model);

			// One AdamW step as a trainer takes it: update whatever holds a gradient.
			Optimizer adamW = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.01f)).build();
			Set<String> withGradient = new TreeSet<>();
			try (NDManager step = NDManager.newBaseManager()) {
				NDArray pixels = step.create(randomFloats(3 * 28 * 42, 9, 1f), new Shape(1, 3, 28, 42));
				try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
					ViTOutput output = model.forward(new ParameterStore(step, false), pixels, true, false);
					collector.backward(output.tokens().square().sum());
				}
				for (Pair<String, Parameter> parameter : model.getParameters()) {
					NDArray weight = parameter.getValue().getArray();
					if (weight.hasGradient()) {
						withGradient.add(parameter.getKey());
						try (NDArray gradient = weight.getGradient()) {
							assertThat(gradient.abs().max().getFloat()).as("gradient of %s", parameter.getKey())
								.isGreaterThan(0f);
							adamW.update(parameter.getValue().getId(), weight, gradient);
						}
					}
				}
			}

			assertThat(withGradient).isEqualTo(unfrozen);
			Map<String, float[]> updated = values(model);
			for (String name : initial.keySet()) {
				if (unfrozen.contains(name)) {
					assertThat(updated.get(name)).as("trained %s", name).isNotEqualTo(initial.get(name));
				}
				else {
					assertThat(updated.get(name)).as("frozen %s", name).isEqualTo(initial.get(name));
				}
			}
		}
	}

	private static ViTOutput run(VisionTransformer model, NDManager manager, float[] pixels, int batch, int height,
			int width) {
		NDArray input = manager.create(pixels, new Shape(batch, 3, height, width));
		return model.forward(new ParameterStore(manager, false), input, false, true);
	}

	/**
	 * Every parameter random and away from its trivial value (norm scales near 1,
	 * LayerScale in [0.2, 0.8]) so that no part of the model can be skipped unnoticed.
	 */
	private static VisionTransformer randomModel(ViTConfig config, NDManager manager, long seed) {
		VisionTransformer model = VisionTransformer.create(config, manager);
		Random random = new Random(seed);
		for (Map.Entry<String, Shape> parameter : model.parameterShapes().entrySet()) {
			String name = parameter.getKey();
			float[] values = randomFloats((int) parameter.getValue().size(), random.nextLong(), 0.2f);
			for (int i = 0; i < values.length; i++) {
				if (name.endsWith(".gamma")) {
					values[i] = 0.5f + values[i];
				}
				else if (name.matches("(.*\\.)?norm(\\d|_pre)?\\.weight")) {
					values[i] = 1f + values[i];
				}
			}
			model.setParameter(name, values);
		}
		return model;
	}

	private static Map<String, float[]> values(VisionTransformer model) {
		Map<String, float[]> values = new LinkedHashMap<>();
		for (Pair<String, Parameter> parameter : model.getParameters()) {
			values.put(parameter.getKey(), parameter.getValue().getArray().toFloatArray());
		}
		return values;
	}

	private static float[] randomFloats(int count, long seed, float scale) {
		Random random = new Random(seed);
		float[] values = new float[count];
		for (int i = 0; i < count; i++) {
			values[i] = (float) random.nextGaussian() * scale;
		}
		return values;
	}

	private static void assertClose(NDArray actual, NDArray expected) {
		assertThat(actual.getShape()).isEqualTo(expected.getShape());
		assertThat(maxAbsDiff(actual.toFloatArray(), expected.toFloatArray())).isLessThanOrEqualTo(1e-5);
	}

}
