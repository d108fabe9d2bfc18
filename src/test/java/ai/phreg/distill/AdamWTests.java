package ai.phreg.distill;

import java.util.Map;

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

}
