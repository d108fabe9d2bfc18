package ai.phreg.job;

import java.util.List;

import ai.phreg.distill.UnlockPolicy;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Which student parameters a job trains, as the spec names the choice. */
public enum Unlock {

	/** The paper's choice, {@link UnlockPolicy#DEFAULT}. */
	DEFAULT("default"),

	/** Only the new registers, {@link UnlockPolicy#REGISTERS_ONLY}. */
	REGISTERS_ONLY("registers-only"),

	/** The spec's own {@code unlockPatterns}. */
	CUSTOM("custom");

	private final String spelling;

	Unlock(String spelling) {
		this.spelling = spelling;
	}

	/** How JSON spells the choice, such as {@code registers-only}. */
	@JsonValue
	public String spelling() {
		return this.spelling;
	}

	/**
	 * The choice spelled {@code name}, as JSON spells it or as the constant is named.
	 * @throws IllegalArgumentException naming the spellings for any other name
	 */
	@JsonCreator
	public static Unlock of(String name) {
		return Spellings.of(values(), Unlock::spelling, name);
	}

	/** Every spelling, for messages: {@code default, registers-only or custom}. */
	public static String spellings() {
		return Spellings.listed(values(), Unlock::spelling);
	}

	/** The policy this choice stands for; {@code patterns} only count for custom. */
	public UnlockPolicy policy(List<String> patterns) {
		return UnlockPolicy.of(this.spelling, patterns);
	}

	@Override
	public String toString() {
		return this.spelling;
	}

}
