package ai.phreg.distill;

import java.util.EnumMap;
import java.util.Map;

/**
 * Time spent per {@link StepPhase}, accumulated as a step runs. Recording returns the
 * current time, so consecutive phases chain without gaps:
 * {@code mark = times.record(DATA, mark)}.
 */
public final class PhaseTimes {

	private final long[] nanos = new long[StepPhase.values().length];

	/** Adds the time since {@code since} to {@code phase}; returns now. */
	public long record(StepPhase phase, long since) {
		long now = System.nanoTime();
		this.nanos[phase.ordinal()] += now - since;
		return now;
	}

	/** Adds all of {@code other}'s time to this. */
	public void add(PhaseTimes other) {
		for (int i = 0; i < this.nanos.length; i++) {
			this.nanos[i] += other.nanos[i];
		}
	}

	public double seconds(StepPhase phase) {
		return this.nanos[phase.ordinal()] / 1e9;
	}

	/** The teacher's share: augment, forward, recover and the target cache. */
	public double teacherSeconds() {
		return seconds(StepPhase.TEACHER_AUGMENT) + seconds(StepPhase.TEACHER_FORWARD)
				+ seconds(StepPhase.TEACHER_RECOVER) + seconds(StepPhase.TARGET_CACHE);
	}

	/** Seconds by phase, in step order. */
	public Map<StepPhase, Double> toMap() {
		Map<StepPhase, Double> seconds = new EnumMap<>(StepPhase.class);
		for (StepPhase phase : StepPhase.values()) {
			seconds.put(phase, seconds(phase));
		}
		return seconds;
	}

}
