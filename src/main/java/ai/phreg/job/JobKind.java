package ai.phreg.job;

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
		return Spellings.of(values(), JobKind::spelling, name);
	}

	/** Every spelling, for messages: {@code distill or analyze}. */
	public static String spellings() {
		return Spellings.listed(values(), JobKind::spelling);
	}

	@Override
	public String toString() {
		return this.spelling;
	}

}
