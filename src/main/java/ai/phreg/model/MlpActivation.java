package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The nonlinearity between the two MLP layers of a transformer block. */
public enum MlpActivation {

	/** Exact GELU with erf: DINOv2, timm, most OpenCLIP models. */
	GELU,

	/** {@code x·σ(1.702x)}: OpenAI CLIP and OpenCLIP {@code -quickgelu} models. */
	QUICK_GELU;

	NDArray apply(NDArray x) {
		return switch (this) {
			case GELU -> Activation.gelu(x);
			case QUICK_GELU -> x.mul(Activation.sigmoid(GraphConstants.times(x, 1.702f)));
		};
	}

}
