package ai.phreg.distill.registers;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.model.ForwardHooks;
import ai.phreg.model.MlpActivationRecorder;
import ai.phreg.model.TokenLayout;
import ai.phreg.model.TokenwiseModel;
import ai.phreg.model.ViTOutput;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;

import static ai.phreg.Differences.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The test-time register intervention against activations worked out by hand.
 */
class TestTimeRegistersTests {

	@Test
	void registerNeuronsMoveTheirPatchMaximumToTheAppendedTokens() {
		// Two images of [CLS, own register, 3 patches, appended]; neurons 0 and 2 of
		// block 1 are register neurons
		float[] values = {
				// image 0
				1, 2, 3, /* register */ 4, 5, 6, /* patches */ 7, 8, -9, 0, 1, 2, -3, 4, 5, /*
																							 * appended
																							 */ 9, 9, 9,
				// image 1
				-1, 0, 1, /* register */ 2, 2, 2, /* patches */ -1, 3, 0.5f, -2, 3, 0.25f, -4, 3, -1, /*
																										 * appended
																										 */
				0, 0, 0 };
		TestTimeRegisters registers = new TestTimeRegisters(
				List.of(new RegisterNeuron(1, 0, 5.0), new RegisterNeuron(1, 2, 1.0)), 1);
		TokenLayout layout = new TokenLayout(2, 3, 5, 1);
		try (NDManager manager = NDManager.newBaseManager()) {
			NDArray hidden = manager.create(values, new Shape(2, 6, 3));

			float[] changed = registers.apply(1, hidden, layout).toFloatArray();
			float[] untouchedBlock = registers.apply(0, hidden, layout).toFloatArray();

			float[] expected = {
					// CLS and the model's register keep theirs; patches lose neurons 0
					// and 2; the appended token gets each one's patch maximum (7 and 5)
					1, 2, 3, 4, 5, 6, 0, 8, 0, 0, 1, 0, 0, 4, 0, 7, 9, 5,
					// image 1: maxima -1 and 0.5, its own
					-1, 0, 1, 2, 2, 2, 0, 3, 0, 0, 3, 0, 0, 3, 0, -1, 0, 0.5f };
			// (negative activations times the zero mask give -0)
			assertThat(maxAbsDiff(changed, expected)).isZero();
			assertThat(untouchedBlock).containsExactly(values);
		}
	}

	@Test
	void theInterventionRunsInsideTheModel() {
		TestTimeRegisters registers = new TestTimeRegisters(List.of(new RegisterNeuron(0, 0, 1.0)), 1);
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = TokenwiseModel.create(manager);
			ParameterStore store = new ParameterStore(manager, false);
			MlpActivationRecorder recorder = new MlpActivationRecorder(List.of(0));

			ViTOutput intervened = model.forward(store, TokenwiseModel.pixels(manager), false, false, new ForwardHooks(
					1,
					(layer, hidden, layout) -> recorder.apply(layer, registers.apply(layer, hidden, layout), layout)));

			// [CLS (red), appended, red, green, green, red]: neuron 0 reads 10 on red
			// patches, so the appended token gets 10 and the patches 0
			float[] expected = { 10, 10, 0, 10, 10, 0, 0, 10, 0, 0, 10, 5, 0, 10, 5, 0, 10, 0 };
			assertThat(maxAbsDiff(recorder.activations(0).toFloatArray(), expected)).isLessThan(1e-4);
			// On the patches that is the model without neuron 0's output weights
			model.setParameter("blocks.0.mlp.fc2.weight", new float[] { 0, 0.5f, -1, 0, 2, 1 });
			ViTOutput withoutNeuron = model.forward(store, TokenwiseModel.pixels(manager), false, false);
			assertThat(maxAbsDiff(intervened.patchTokens().toFloatArray(), withoutNeuron.patchTokens().toFloatArray()))
				.isLessThan(1e-5);
		}
	}

	@Test
	void refusesNeuronsTheBlockDoesNotHaveAndZeroTokens() {
		TestTimeRegisters registers = new TestTimeRegisters(List.of(new RegisterNeuron(0, 3, 1.0)), 1);
		try (NDManager manager = NDManager.newBaseManager()) {
			NDArray hidden = manager.zeros(new Shape(1, 6, 3));
			assertThatIllegalArgumentException()
				.isThrownBy(() -> registers.apply(0, hidden, new TokenLayout(1, 4, 5, 1)))
				.withMessageContaining("no neuron 3");
		}
		assertThatIllegalArgumentException().isThrownBy(() -> new TestTimeRegisters(List.of(), 0));
	}

}
