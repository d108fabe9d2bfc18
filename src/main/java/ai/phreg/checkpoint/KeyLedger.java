package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Tracks which checkpoint tensors a converter has consumed, so that conversion fails when
 * a key is missing, has an unexpected shape, or is left unused: a silently dropped weight
 * is a wrong model.
 */
final class KeyLedger {

	private final StateDict dict;

	private final TreeSet<String> unused;

	private final Map<String, String> ignored = new LinkedHashMap<>();

	private final Map<String, String> carried = new LinkedHashMap<>();

	KeyLedger(StateDict dict) {
		this.dict = dict;
		this.unused = new TreeSet<>(dict.tensors().keySet());
	}

	Path location() {
		return this.dict.location();
	}

	boolean has(String key) {
		return this.dict.tensors().containsKey(key);
	}

	/** The tensor under {@code key}, marked as used. */
	TensorSource take(String key) throws InvalidCheckpointException {
		TensorSource source = this.dict.tensors().get(key);
		if (source == null) {
			throw new InvalidCheckpointException("Checkpoint " + this.dict.location() + " lacks tensor '" + key + "'");
		}
		this.unused.remove(key);
		return source;
	}

	/** Like {@link #take}, also checking the number of dimensions. */
	TensorSource take(String key, int rank) throws InvalidCheckpointException {
		TensorSource source = take(key);
		if (source.shape().length != rank) {
			throw new InvalidCheckpointException("Tensor '" + key + "' in " + this.dict.location() + " has shape "
					+ Arrays.toString(source.shape()) + ", expected " + rank + " dimensions");
		}
		return source;
	}

	/**
	 * The tensor under {@code key}, checking its number of dimensions, without marking it
	 * used (for a tensor that {@link #carry} keeps).
	 */
	TensorSource peek(String key, int rank) throws InvalidCheckpointException {
		TensorSource source = this.dict.tensors().get(key);
		if (source == null || source.shape().length != rank) {
			throw new InvalidCheckpointException(
					"Checkpoint " + this.dict.location() + " has no " + rank + "-dimensional tensor '" + key + "'");
		}
		return source;
	}

	/**
	 * Marks every key matching {@code filter} as deliberately unused, for the given
	 * reason.
	 */
	void ignore(Predicate<String> filter, String reason) {
		for (String key : List.copyOf(this.unused)) {
			if (filter.test(key)) {
				this.unused.remove(key);
				this.ignored.put(key, reason);
			}
		}
	}

	/**
	 * Marks {@code key}, if present, as unused by the model but kept as stored under
	 * {@code name} (see {@link CarriedTensors}).
	 */
	void carry(String key, String name, String reason) {
		if (this.unused.contains(key)) {
			ignore(key::equals, reason);
			this.carried.put(name, key);
		}
	}

	/** The keys marked by {@link #carry}, by carried name. */
	Map<String, String> carried() {
		return this.carried;
	}

	/**
	 * The number of transformer blocks: {@code prefix<i>.} keys for i = 0..n-1 without
	 * gaps.
	 */
	int countIndexed(String prefix) throws InvalidCheckpointException {
		TreeSet<Integer> indices = new TreeSet<>();
		for (String key : this.dict.tensors().keySet()) {
			if (key.startsWith(prefix)) {
				String rest = key.substring(prefix.length());
				int dot = rest.indexOf('.');
				if (dot > 0 && rest.substring(0, dot).chars().allMatch(Character::isDigit)) {
					indices.add(Integer.parseInt(rest.substring(0, dot)));
				}
			}
		}
		if (indices.isEmpty() || indices.first() != 0 || indices.last() != indices.size() - 1) {
			throw new InvalidCheckpointException("Checkpoint " + this.dict.location() + " has blocks " + indices
					+ " under '" + prefix + "'; expected 0..n-1");
		}
		return indices.size();
	}

	/**
	 * Fails when any key was neither used nor ignored; returns the ignored keys with
	 * reasons.
	 */
	Map<String, String> finish() throws InvalidCheckpointException {
		if (!this.unused.isEmpty()) {
			List<String> sample = new ArrayList<>(this.unused).subList(0, Math.min(12, this.unused.size()));
			throw new InvalidCheckpointException("Checkpoint " + this.dict.location() + " has " + this.unused.size()
					+ " tensors this family does not use (unsupported architecture variant?): " + sample);
		}
		return this.ignored;
	}

	SortedMap<String, TensorSource> all() {
		return this.dict.tensors();
	}

}
