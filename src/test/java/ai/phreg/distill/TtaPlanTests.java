package ai.phreg.distill;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class TtaPlanTests {

	@Test
	void shiftRangeRoundsHalfToEvenLikePython() {
		assertThat(TtaPlan.maxShift(37, 0.15)).isEqualTo(6); // 5.55
		assertThat(TtaPlan.maxShift(8, 0.25)).isEqualTo(2);
		assertThat(TtaPlan.maxShift(10, 0.25)).isEqualTo(2); // 2.5 rounds to even
		assertThat(TtaPlan.maxShift(14, 0.25)).isEqualTo(4); // 3.5 rounds to even
	}

	@Test
	void sampledPlansStartWithTheIdentityAndStayInRange() {
		for (long seed = 0; seed < 50; seed++) {
			TtaPlan plan = TtaPlan.sample(37, 0.15, 10, seed);

			assertThat(plan.size()).isEqualTo(10);
			assertThat(plan.views().get(0)).isEqualTo(TtaView.IDENTITY);
			assertThat(plan.views()).allSatisfy((view) -> {
				assertThat(Math.abs(view.dy())).isLessThanOrEqualTo(6);
				assertThat(Math.abs(view.dx())).isLessThanOrEqualTo(6);
			});
		}
	}

	@Test
	void theSameSeedGivesTheSamePlanAndOthersDiffer() {
		assertThat(TtaPlan.sample(16, 0.15, 10, 7)).isEqualTo(TtaPlan.sample(16, 0.15, 10, 7));
		Set<TtaPlan> plans = new HashSet<>();
		for (long seed = 0; seed < 20; seed++) {
			plans.add(TtaPlan.sample(16, 0.15, 10, seed));
		}
		assertThat(plans).hasSizeGreaterThan(15);
	}

	@Test
	void flipsAreFairCoinsExceptForTheIdentity() {
		int flips = 0;
		int views = 0;
		for (long seed = 0; seed < 400; seed++) {
			for (TtaView view : TtaPlan.sample(16, 0.15, 10, seed).views().subList(1, 10)) {
				flips += view.flip() ? 1 : 0;
				views++;
			}
		}
		assertThat(flips / (double) views).isBetween(0.45, 0.55);
	}

	@Test
	void farthestPointSamplingSpreadsTheOffsets() {
		// A pool with one far-away point: the second pick from the centre must be that
		// point.
		int[][] pool = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 5, 5 }, { 1, 1 } };

		int[] chosen = TtaPlan.farthestPoints(pool, 3, 0);

		assertThat(chosen).containsExactly(0, 3, 4);
	}

	@Test
	void explicitPlansMustStartWithTheIdentity() {
		assertThatIllegalArgumentException().isThrownBy(() -> new TtaPlan(List.of(new TtaView(1, 0, false))))
			.withMessageContaining("identity");
		assertThatIllegalArgumentException().isThrownBy(() -> new TtaPlan(List.of()));
	}

}
