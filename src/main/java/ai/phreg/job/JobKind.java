package ai.phreg.job;

import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a job does, as the spec names it. */
public enum JobKind {

	/** PH-Reg: trains a student with registers, evaluates and exports it. */
	DISTILL("distill"),

	/**
	 * No training: finds the teacher's register neurons and compares its artifacts with
	 * those of the test-time fixes (denoised views, test-time registers, both).
	 */
	ANALYZE("analyze");

	private final String spelling;

	JobKind(String spelling) {
		this.spelling = spelling;
	}

	/** How JSON spells the kind, such as {@code analyze}. */
	@JsonValue
	public String spelling() {
		return this.spelling;
	}

	/**
	 * The kind spelled {@code name}, as JSON spells it or as the constant is named.
	 * @throws IllegalArgumentException naming the spellings for any other name
	 */
	@JsonCreator
	public static JobKind of(String name) {
		return Arrays.stream(values())
			.filter((kind) -> kind.spelling.equals(name) || kind.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("must be " + spellings()));
	}

	/** Every spelling, for messages: {@code distill or analyze}. */
	public static String spellings() {
		List<String> all = Arrays.stream(values()).map(JobKind::spelling).toList();
		return String.join(", ", all.subList(0, all.size() - 1)) + " or " + all.get(all.size() - 1);
	}

	@Override
	public String toString() {
		return this.spelling;
	}

}
