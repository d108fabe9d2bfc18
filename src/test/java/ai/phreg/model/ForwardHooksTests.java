package ai.phreg.model;

import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

import static ai.phreg.Differences.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Reading MLP activations and appending tokens, on a model whose activations are known by
 * hand ({@link TokenwiseModel}).
 */
class ForwardHooksTests {

	@Test
	void theRecorderReadsTheActivationsAfterTheNonlinearity() {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = TokenwiseModel.create(manager);
			MlpActivationRecorder recorder = new MlpActivationRecorder(List.of(0));

			model.forward(new ParameterStore(manager, false), TokenwiseModel.pixels(manager), false, false,
					ForwardHooks.of(recorder));

			// [CLS (red), 4 patches]
			float[] expected = concat(TokenwiseModel.hidden(true), patchesHidden());
			assertThat(recorder.activations(0).getShape()).isEqualTo(new Shape(1, 5, 3));
			assertThat(maxAbsDiff(recorder.activations(0).toFloatArray(), expected)).isLessThan(1e-4);
			assertThatIllegalArgumentException().isThrownBy(() -> recorder.activations(1))
				.withMessageContaining("not recorded");
		}
	}

	@Test
	void appendedTokensStartAsTheMeanPatchAndLeaveThePatchesAlone() {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = TokenwiseModel.create(manager);
			ParameterStore store = new ParameterStore(manager, false);
			MlpActivationRecorder recorder = new MlpActivationRecorder(List.of(0));
			TokenLayout[] seen = new TokenLayout[1];
			MlpActivationHook hook = (layer, hidden, layout) -> {
				seen[0] = layout;
				return recorder.apply(layer, hidden, layout);
			};

			ViTOutput plain = model.forward(store, TokenwiseModel.pixels(manager), false, false);
			ViTOutput appended = model.forward(store, TokenwiseModel.pixels(manager), false, true,
					new ForwardHooks(2, hook));

			// [CLS, 2 appended, 4 patches]: after the class token, where registers go
			assertThat(seen[0]).isEqualTo(new TokenLayout(3, 4, 1, 2));
			// The mean patch (0.5, 0.5), no position embedding, twice
			assertThat(maxAbsDiff(appended.hiddenStates().get(0).get(":, 1:3, :").toFloatArray(),
					new float[] { 0.5f, 0.5f, 0.5f, 0.5f }))
				.isLessThan(1e-6);
			// Equal channels normalize to zero: neurons read GELU(bias)
			float[] mean = { 0, 10, 0 };
			assertThat(maxAbsDiff(recorder.activations(0).toFloatArray(),
					concat(TokenwiseModel.hidden(true), mean, mean, patchesHidden())))
				.isLessThan(1e-4);
			// Tokens do not mix in this model: the patch outputs must not move
			assertThat(maxAbsDiff(appended.patchTokens().toFloatArray(), plain.patchTokens().toFloatArray()))
				.isLessThan(1e-6);
			assertThat(appended.tokens().getShape()).isEqualTo(new Shape(1, 7, 2));
		}
	}

	@Test
	void appendedTokensFollowRegistersPlacedAfterThePatches() {
		ViTConfig config = TokenwiseModel.config().toBuilder().optRegisters(1, RegisterPlacement.AFTER_PATCHES).build();
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = VisionTransformer.create(config, manager);
			TokenLayout[] seen = new TokenLayout[1];
			model.forward(new ParameterStore(manager, false), TokenwiseModel.pixels(manager), false, false,
					new ForwardHooks(1, (layer, hidden, layout) -> {
						seen[0] = layout;
						return hidden;
					}));

			// [CLS, 4 patches, register, appended]
			assertThat(seen[0]).isEqualTo(new TokenLayout(1, 4, 6, 1));
		}
	}

	static float[] patchesHidden() {
		float[] all = new float[0];
		for (boolean red : TokenwiseModel.RED_PATCHES) {
			all = concat(all, TokenwiseModel.hidden(red));
		}
		return all;
	}

	static float[] concat(float[]... parts) {
		int length = 0;
		for (float[] part : parts) {
			length += part.length;
		}
		float[] all = new float[length];
		int at = 0;
		for (float[] part : parts) {
			System.arraycopy(part, 0, all, at, part.length);
			at += part.length;
		}
		return all;
	}

}
