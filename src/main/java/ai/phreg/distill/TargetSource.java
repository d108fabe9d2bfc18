package ai.phreg.distill;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where PH-Reg's denoised targets come from.
 */
public enum TargetSource {

	/**
	 * The paper's: the frozen teacher over V shifted and mirrored views per image,
	 * aligned and averaged.
	 */
	TTA,

	/**
	 * One pass per image through the teacher with test-time registers (Jiang et al.,
	 * 2025): the register neurons' activity is moved to an extra token, so the patch
	 * features come out without artifacts and without V views.
	 */
	TEST_TIME_REGISTERS,

	/** The V views, each through the teacher with test-time registers. */
	BOTH;

	/**
	 * The spelling users write: {@code tta}, {@code test-time-registers}, {@code both};
	 * also how JSON spells it, so that a job view echoes what was asked.
	 */
	@JsonValue
	public String label() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	/**
	 * The source a label names.
	 * @throws IllegalArgumentException for any other text, naming the labels
	 */
	public static TargetSource ofLabel(String label) {
		for (TargetSource source : values()) {
			if (source.label().equals(label)) {
				return source;
			}
		}
		throw new IllegalArgumentException("Unknown targets '" + label + "': use one of "
				+ Arrays.stream(values()).map(TargetSource::label).collect(Collectors.joining(", ")));
	}

	/**
	 * The source JSON names: by label, or by constant name as job records and queued
	 * messages written before the label was JSON's spelling have it.
	 */
	@JsonCreator
	static TargetSource ofJson(String text) {
		for (TargetSource source : values()) {
			if (source.name().equals(text)) {
				return source;
			}
		}
		return ofLabel(text);
	}

	/** Whether the teacher runs with test-time registers. */
	public boolean usesTestTimeRegisters() {
		return this != TTA;
	}

}
