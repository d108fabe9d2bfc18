package ai.phreg.job;

import ai.phreg.distill.PhaseTimes;
import ai.phreg.distill.StepReport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** A run fails after K non-finite steps in a row, not after K scattered ones. */
class NonFiniteStepsTests {

	@Test
	void finiteStepsResetTheCount() {
		NonFiniteSteps watch = new NonFiniteSteps(3);

		assertThat(watch.record(step(1, Float.NaN, true))).isTrue();
		assertThat(watch.record(step(2, 0.5f, false))).as("update skipped for non-finite gradients").isTrue();
		assertThat(watch.record(step(3, 0.5f, true))).isFalse();
		assertThat(watch.record(step(4, Float.POSITIVE_INFINITY, true))).isTrue();
		assertThat(watch.record(step(5, Float.NaN, true))).isTrue();
	}

	@Test
	void theLimitthNonFiniteStepInARowFailsTheRunWithWhatToDo() {
		NonFiniteSteps watch = new NonFiniteSteps(2);
		watch.record(step(7, Float.NaN, false));

		assertThatExceptionOfType(NonFiniteTrainingException.class)
			.isThrownBy(() -> watch.record(step(8, Float.NaN, false)))
			.withMessageContaining("2 steps in a row")
			.withMessageContaining("step 8")
			.withMessageContaining("Lower learningRate");
	}

	@Test
	void theLimitIsAtLeastOne() {
		assertThatIllegalArgumentException().isThrownBy(() -> new NonFiniteSteps(0));
	}

	private static StepReport step(long step, float loss, boolean updated) {
		return new StepReport(step, 100, 0, updated, loss, loss, 0f, 1e-4f, 4, 1.0, 1.0, 1.0, new PhaseTimes(), 8, 0);
	}

}
