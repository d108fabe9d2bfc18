package ai.phreg.distill;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

class LearningRateScheduleTests {

	private final LearningRateSchedule schedule = new LearningRateSchedule(1e-4, 5e-6, 100, 10);

	@Test
	void firstStepRunsAtTheInitialRate() {
		assertThat((double) this.schedule.rateAt(0)).isCloseTo(1e-4, within(1e-11));
	}

	@Test
	void laterStepsRunAtTheRateOfTheirPredecessorsEpoch() {
		double epoch0 = 1e-4 * Math.pow(5e-6 / 1e-4, 1 / 100.0);
		double epoch1 = 1e-4 * Math.pow(5e-6 / 1e-4, 2 / 100.0);

		assertThat((double) this.schedule.rateAt(1)).isCloseTo(epoch0, within(1e-11));
		assertThat((double) this.schedule.rateAt(10)).isCloseTo(epoch0, within(1e-11));
		assertThat((double) this.schedule.rateAt(11)).isCloseTo(epoch1, within(1e-11));
	}

	@Test
	void theLastEpochReachesTheEndRateAndNeverGoesBelow() {
		assertThat(this.schedule.rateAfterEpoch(99)).isCloseTo(5e-6, within(1e-15));
		assertThat(this.schedule.rateAfterEpoch(500)).isEqualTo(5e-6);
	}

	@Test
	void inconsistentSchedulesAreRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> new LearningRateSchedule(1e-5, 1e-4, 10, 1));
		assertThatIllegalArgumentException().isThrownBy(() -> new LearningRateSchedule(1e-4, 1e-5, 0, 1));
		assertThatIllegalArgumentException().isThrownBy(() -> new LearningRateSchedule(1e-4, 1e-5, 1, 0));
	}

	@Test
	void aRunOfWholeEpochsGetsThePapersSchedule() {
		assertThat(LearningRateSchedule.forSteps(1e-4, 5e-6, 18, 9))
			.isEqualTo(new LearningRateSchedule(1e-4, 5e-6, 2, 9));
	}

	@Test
	void aRunThatEndsInsideAnEpochRunsItsLastStepAtTheEndRate() {
		// 500 steps at batch 4 on 36 photos: 55 whole epochs of 9 steps and 5 steps more
		LearningRateSchedule schedule = LearningRateSchedule.forSteps(1e-4, 5e-6, 500, 9);

		assertThat(schedule.rateAt(499)).isEqualTo((float) 5e-6);
		assertThat(schedule.rateAt(494)).isGreaterThan((float) 5e-6);
	}

	@Test
	void aLastEpochOfOneStepStillEndsAtTheEndRate() {
		LearningRateSchedule schedule = LearningRateSchedule.forSteps(1e-4, 5e-6, 10, 9);

		assertThat(schedule.rateAt(9)).isEqualTo((float) 5e-6);
		assertThat(LearningRateSchedule.forSteps(1e-4, 5e-6, 1, 9).rateAt(0)).isEqualTo((float) 1e-4);
	}

}
