package ai.phreg.job;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * How the spec's choices are spelled: each constant of such an enum has a lower-case
 * spelling (such as {@code registers-only}), and JSON and the command line accept it or
 * the constant's name.
 */
final class Spellings {

	private Spellings() {
	}

	/**
	 * The constant spelled {@code name}.
	 * @throws IllegalArgumentException naming the spellings for any other name
	 */
	static <E extends Enum<E>> E of(E[] constants, Function<E, String> spelling, String name) {
		return Arrays.stream(constants)
			.filter((constant) -> spelling.apply(constant).equals(name) || constant.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("must be " + listed(constants, spelling)));
	}

	/** Every spelling, for messages: {@code a, b or c}. */
	static <E extends Enum<E>> String listed(E[] constants, Function<E, String> spelling) {
		List<String> all = Arrays.stream(constants).map(spelling).toList();
		return String.join(", ", all.subList(0, all.size() - 1)) + " or " + all.get(all.size() - 1);
	}

}
