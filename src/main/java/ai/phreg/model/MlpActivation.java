package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The nonlinearity between the two MLP layers of a transformer block. */
public enum MlpActivation {

	/** Exact GELU with erf: DINOv2, timm, most OpenCLIP models. */
	GELU,

	/** {@code x·σ(1.702x)}: OpenAI CLIP and OpenCLIP {@code -quickgelu} models. */
	QUICK_GELU,

	/**
	 * GELU's tanh approximation {@code 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))}: SigLIP
	 * (big_vision, transformers' {@code gelu_pytorch_tanh}, timm {@code gelu_tanh}).
	 */
	GELU_TANH;

	private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

	private static NDArray geluTanh(NDArray x) {
		NDArray cubic = GraphConstants.times(x.mul(x).mul(x), 0.044715f);
		NDArray inner = GraphConstants.times(x.add(cubic), SQRT_2_OVER_PI).tanh();
		NDArray half = GraphConstants.times(x, 0.5f);
		// 0.5x(1 + t) = 0.5x + 0.5x·t
		return half.add(half.mul(inner));
	}

	NDArray apply(NDArray x) {
		return switch (this) {
			case GELU -> Activation.gelu(x);
			case QUICK_GELU -> x.mul(Activation.sigmoid(GraphConstants.times(x, 1.702f)));
			case GELU_TANH -> geluTanh(x);
		};
	}

}
