package ai.phreg.checkpoint;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

import ai.phreg.checkpoint.safetensors.TensorData;

/**
 * Tensors a family's checkpoints hold that phreg's model does not use but the family's
 * own code loads, such as DINOv2's {@code mask_token} from masked-image pretraining. They
 * are kept from the source checkpoint exactly as stored (dtype and bytes) and written
 * back unchanged on export, so that an exported student still carries its teacher's
 * values rather than zeros.
 *
 * @param byName stored tensors by their family-neutral name, such as {@link #MASK_TOKEN};
 * the {@link TensorData#name()} is the source key
 */
public record CarriedTensors(Map<String, TensorData> byName) {

	/** DINOv2's learned mask token, {@code [1, width]}. */
	public static final String MASK_TOKEN = "mask_token";

	/**
	 * DINOv3's RoPE periods {@code [head_dim / 4]}, a buffer its code loads and uses
	 * although phreg recomputes them from the base.
	 */
	public static final String ROPE_PERIODS = "rope_periods";

	/** Nothing carried: exports write the family's neutral values (zeros). */
	public static final CarriedTensors NONE = new CarriedTensors(Map.of());

	public CarriedTensors {
		byName = Map.copyOf(byName);
	}

	public Optional<TensorData> get(String name) {
		return Optional.ofNullable(this.byName.get(name));
	}

	/**
	 * Writes the mask token a family's loader requires as {@code key}: the carried one
	 * bit for bit (reshaped when another layout of the family stores it with another
	 * shape, such as DINOv3's {@code [1, D]} and transformers' {@code [1, 1, D]}), else
	 * zeros of {@code shape}, which is what an untrained one holds.
	 * @throws IllegalArgumentException if the carried one has another number of values
	 */
	void addMaskToken(String key, long[] shape, TensorSink sink) {
		TensorData stored = get(MASK_TOKEN).orElse(null);
		if (stored == null) {
			sink.add(key, shape, new float[(int) count(shape)]);
			return;
		}
		if (count(stored.shape()) != count(shape)) {
			throw new IllegalArgumentException("The carried mask token is " + Arrays.toString(stored.shape())
					+ " but this model needs " + Arrays.toString(shape) + ": it comes from another model");
		}
		sink.addUnchanged(key, new TensorData(stored.name(), stored.dtype(), shape, stored.bytes()));
	}

	private static long count(long[] shape) {
		return Arrays.stream(shape).reduce(1, Math::multiplyExact);
	}

}
