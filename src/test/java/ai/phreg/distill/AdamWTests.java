package ai.phreg.distill;

import java.util.Map;
import java.util.Random;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Our AdamW against a scalar double-precision transcription of
 * {@code torch.optim.AdamW}'s update (decoupled decay, bias-corrected moments, eps added
 * after the corrected square root).
 */
class AdamWTests {

	@Test
	void followsTorchAdamWStepForStep() {
		float[] start = { 1.0f, -2.0f, 0.5f };
		float lr = 0.05f;
		float decay = 0.01f;
		try (NDManager manager = NDManager.newBaseManager()) {
			Parameter parameter = Parameter.builder()
				.setName("w")
				.setType(Parameter.Type.WEIGHT)
				.optArray(manager.create(start))
				.build();
			parameter.getArray().setRequiresGradient(true);
			double[] expected = { 1.0, -2.0, 0.5 };
			double[] m = new double[3];
			double[] v = new double[3];
			try (AdamW optimizer = new AdamW(Map.of("w", parameter), decay)) {
				for (int t = 1; t <= 5; t++) {
					// loss = sum(w^3) so the gradient 3w^2 changes every step
					try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
						NDArray w = parameter.getArray();
						collector.backward(w.mul(w).mul(w).sum());
					}
					optimizer.step(lr);
					for (int i = 0; i < 3; i++) {
						double g = 3 * expected[i] * expected[i];
						expected[i] *= 1 - lr * decay;
						m[i] = 0.9 * m[i] + 0.1 * g;
						v[i] = 0.999 * v[i] + 0.001 * g * g;
						double denominator = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
						expected[i] -= lr / (1 - Math.pow(0.9, t)) * m[i] / denominator;
					}
					float[] actual = parameter.getArray().toFloatArray();
					for (int i = 0; i < 3; i++) {
						assertThat((double) actual[i]).as("step %d element %d", t, i)
							.isCloseTo(expected[i], within(1e-5));
					}
				}
				assertThat(optimizer.stepCount()).isEqualTo(5);
				assertThat(parameter.getArray().getGradient().abs().sum().getFloat())
					.as("gradients are cleared after each update")
					.isZero();
			}
		}
	}

	/**
	 * The moments go through float32 operations in torch's order, each rounded once: they
	 * must equal that transcription bit for bit, whatever rewrite of how the operations
	 * are issued (in place, fewer arrays). The weights follow the double-precision
	 * transcription above.
	 */
	@Test
	void momentsEqualAFloat32TranscriptionBitForBit() {
		int size = 1000;
		float lr = 3e-4f;
		float decay = 0.01f;
		Random random = new Random(7);
		float[] weights = new float[size];
		for (int i = 0; i < size; i++) {
			weights[i] = (float) random.nextGaussian();
		}
		try (NDManager manager = NDManager.newBaseManager()) {
			Parameter parameter = Parameter.builder()
				.setName("w")
				.setType(Parameter.Type.WEIGHT)
				.optArray(manager.create(weights.clone()))
				.build();
			parameter.getArray().setRequiresGradient(true);
			float[] m = new float[size];
			float[] v = new float[size];
			try (AdamW optimizer = new AdamW(Map.of("w", parameter), decay)) {
				for (int t = 1; t <= 4; t++) {
					float[] gradient = new float[size];
					for (int i = 0; i < size; i++) {
						// gradients from 1e-6 to 1e2: squares from tiny to large
						gradient[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 6));
					}
					try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
						NDArray w = parameter.getArray();
						collector.backward(w.mul(w.getManager().create(gradient)).sum());
					}
					optimizer.step(lr);
					for (int i = 0; i < size; i++) {
						float g = gradient[i];
						m[i] = m[i] * 0.9f + g * (1 - 0.9f);
						v[i] = v[i] * 0.999f + g * g * (1 - 0.999f);
					}
					float[] actualM = optimizer.firstMoments().get("w").toFloatArray();
					float[] actualV = optimizer.secondMoments().get("w").toFloatArray();
					for (int i = 0; i < size; i++) {
						assertThat(actualM[i]).as("first moment, step %d element %d", t, i).isEqualTo(m[i]);
						assertThat(actualV[i]).as("second moment, step %d element %d", t, i).isEqualTo(v[i]);
					}
				}
			}
		}
	}

	@Test
	void aStepWithNonFiniteGradientsChangesNothingAndClearsThem() {
		try (NDManager manager = NDManager.newBaseManager()) {
			Parameter parameter = Parameter.builder()
				.setName("w")
				.setType(Parameter.Type.WEIGHT)
				.optArray(manager.create(new float[] { 1f, 2f }))
				.build();
			parameter.getArray().setRequiresGradient(true);
			try (AdamW optimizer = new AdamW(Map.of("w", parameter), 0.01f)) {
				// loss = w0 * log(w1 - 2): the gradient of w1 is infinite at w1 = 2
				try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
					NDArray w = parameter.getArray();
					collector.backward(w.get(0).mul(w.get(1).sub(2f).log()));
				}

				boolean updated = optimizer.step(0.1f);

				assertThat(updated).isFalse();
				assertThat(parameter.getArray().toFloatArray()).containsExactly(1f, 2f);
				assertThat(optimizer.stepCount()).isZero();
				assertThat(optimizer.firstMoments().get("w").toFloatArray()).containsExactly(0f, 0f);
				assertThat(parameter.getArray().getGradient().toFloatArray()).containsExactly(0f, 0f);
			}
		}
	}

	@Test
	void oneNaNGradientAmongFiniteOnesHoldsBackEveryParameter() {
		try (NDManager manager = NDManager.newBaseManager()) {
			Parameter finite = trainable("a", manager.create(new float[] { 3f }));
			Parameter negative = trainable("b", manager.create(new float[] { -1f }));
			try (AdamW optimizer = new AdamW(Map.of("a", finite, "b", negative), 0.01f)) {
				// loss = a + sqrt(b): the gradient of b at -1 is NaN, that of a is 1
				try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
					collector.backward(finite.getArray().add(negative.getArray().sqrt()).sum());
				}
				assertThat(finite.getArray().getGradient().toFloatArray()).containsExactly(1f);

				boolean updated = optimizer.step(0.1f);

				assertThat(updated).isFalse();
				assertThat(finite.getArray().toFloatArray()).containsExactly(3f);
				assertThat(negative.getArray().toFloatArray()).containsExactly(-1f);
				assertThat(optimizer.stepCount()).isZero();
			}
		}
	}

	private static Parameter trainable(String name, NDArray value) {
		Parameter parameter = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optArray(value).build();
		parameter.getArray().setRequiresGradient(true);
		return parameter;
	}

}
