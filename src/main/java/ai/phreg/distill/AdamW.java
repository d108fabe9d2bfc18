package ai.phreg.distill;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.phreg.model.ArrayValues;

/**
 * AdamW with decoupled weight decay, step for step as {@code torch.optim.AdamW}. Written
 * here rather than taken from DJL because exact resume needs the moments and step count
 * saved and restored, which DJL's optimizer keeps private.
 */
public final class AdamW implements AutoCloseable {

	private final Map<String, Parameter> parameters;

	private final float weightDecay;

	private final float beta1;

	private final float beta2;

	private final float epsilon;

	private final NDManager stateManager;

	private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();

	private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();

	private long stepCount;

	/**
	 * @param parameters the trained parameters by name
	 * @param weightDecay decoupled weight decay, 1e-2 in PH-Reg
	 */
	public AdamW(Map<String, Parameter> parameters, float weightDecay) {
		this.parameters = new LinkedHashMap<>(parameters);
		this.weightDecay = weightDecay;
		this.beta1 = 0.9f;
		this.beta2 = 0.999f;
		this.epsilon = 1e-8f;
		NDManager owner = parameters.values().iterator().next().getArray().getManager();
		this.stateManager = owner.newSubManager();
		for (Map.Entry<String, Parameter> parameter : this.parameters.entrySet()) {
			NDArray value = parameter.getValue().getArray();
			this.firstMoments.put(parameter.getKey(), this.stateManager.zeros(value.getShape(), value.getDataType()));
			this.secondMoments.put(parameter.getKey(), this.stateManager.zeros(value.getShape(), value.getDataType()));
		}
	}

	/**
	 * Applies one update with learning rate {@code lr} from the accumulated gradients,
	 * then clears them. A step whose gradients are not all finite changes nothing but the
	 * gradients (cleared), as the authors' loop skips such batches: one bad batch must
	 * not poison the run.
	 * @return whether the parameters were updated
	 */
	public boolean step(float lr) {
		// The updates are in place on leaves that require gradients, which libtorch
		// allows only without grad mode; the caller's mode (per thread) is put back.
		boolean gradMode = JniUtils.isGradMode();
		JniUtils.setGradMode(false);
		try {
			return apply(lr);
		}
		finally {
			JniUtils.setGradMode(gradMode);
		}
	}

	private boolean apply(float lr) {
		try (NDManager scratch = this.stateManager.newSubManager()) {
			Map<String, NDArray> gradients = new LinkedHashMap<>();
			NDList zeroSums = new NDList();
			for (Map.Entry<String, Parameter> entry : this.parameters.entrySet()) {
				NDArray gradient = scoped(entry.getValue().getArray().getGradient(), scratch);
				gradients.put(entry.getKey(), gradient);
				// g·0 is 0 for a finite g and NaN for an infinite or NaN one: two
				// operations per parameter instead of four
				zeroSums.add(scoped(gradient.mul(0f), scratch).sum());
			}
			// one read back for all parameters: each is a wait for libtorch
			boolean finite = !Float.isNaN(scoped(NDArrays.stack(zeroSums).sum(), scratch).getFloat());
			if (finite) {
				update(lr, gradients, scratch);
			}
			// Assigning zeros also clears a NaN, which subtracting the gradient from
			// itself would keep.
			gradients.values().forEach((gradient) -> gradient.set(new NDIndex("..."), 0f));
			return finite;
		}
	}

	/**
	 * torch's single-tensor AdamW, operation for operation, with as few fresh arrays as
	 * that allows (first touches of fresh memory are what costs on small VMs): the
	 * gradient, cleared after the step anyway, holds {@code g·(1-β1)} and then the
	 * update, and every other result is written in place. Each element goes through the
	 * same float operations in the same order as before, so the bits are the same.
	 */
	private void update(float lr, Map<String, NDArray> gradients, NDManager scratch) {
		this.stepCount++;
		double correction1 = 1 - Math.pow(this.beta1, this.stepCount);
		double correction2 = 1 - Math.pow(this.beta2, this.stepCount);
		for (Map.Entry<String, Parameter> entry : this.parameters.entrySet()) {
			NDArray value = entry.getValue().getArray();
			NDArray gradient = gradients.get(entry.getKey());
			NDArray m = this.firstMoments.get(entry.getKey());
			NDArray v = this.secondMoments.get(entry.getKey());
			value.muli(1 - lr * this.weightDecay);
			// Results of operations on the state land in its manager: keep them per step.
			NDArray squared = scoped(gradient.square(), scratch).muli(1 - this.beta2);
			m.muli(this.beta1).addi(gradient.muli(1 - this.beta1));
			v.muli(this.beta2).addi(squared);
			NDArray denominator = scoped(v.sqrt(), scratch).divi((float) Math.sqrt(correction2)).addi(this.epsilon);
			gradient.set(new NDIndex("..."), m);
			NDArray update = gradient.divi(denominator).muli((float) (lr / correction1));
			value.subi(update);
		}
	}

	private static NDArray scoped(NDArray array, NDManager scratch) {
		array.attach(scratch);
		return array;
	}

	public long stepCount() {
		return this.stepCount;
	}

	/** Moments by parameter name, for checkpoints. */
	public Map<String, NDArray> firstMoments() {
		return this.firstMoments;
	}

	public Map<String, NDArray> secondMoments() {
		return this.secondMoments;
	}

	/** Restores the state a checkpoint saved. */
	public void restore(long steps, Map<String, float[]> first, Map<String, float[]> second) {
		for (String name : this.parameters.keySet()) {
			float[] m = first.get(name);
			float[] v = second.get(name);
			if (m == null || v == null) {
				throw new IllegalArgumentException("Optimizer checkpoint lacks the moments of " + name);
			}
			ArrayValues.copyInto(this.firstMoments.get(name), m);
			ArrayValues.copyInto(this.secondMoments.get(name), v);
		}
		this.stepCount = steps;
	}

	@Override
	public void close() {
		this.stateManager.close();
	}

}
