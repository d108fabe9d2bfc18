package ai.phreg.metrics;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CosinePercentilesTests {

	@Test
	void nearestRankCountedFromTheBest() {
		// Decreasing: 1.0 0.9 ... 0.1. p50 is the ceil(0.5 * 10) = 5th, 0.6; p90 the 9th,
		// 0.2; p99 the ceil(9.9) = 10th, 0.1.
		float[] cosines = { 0.4f, 1.0f, 0.1f, 0.7f, 0.9f, 0.3f, 0.6f, 0.2f, 0.8f, 0.5f };
		assertThat(CosinePercentiles.of(cosines)).isEqualTo(new CosinePercentiles(0.6f, 0.2f, 0.1f));
	}

	@Test
	void p99ShowsTheWorstTwoPercentButNotTheWorstOne() {
		// 100 tokens: 99 of them reach p99. With one bad token, the 99th best is
		// still good; with two, it is the better of the bad ones.
		float[] cosines = new float[100];
		Arrays.fill(cosines, 0.95f);
		cosines[17] = 0.2f;
		assertThat(CosinePercentiles.of(cosines).p99()).isEqualTo(0.95f);
		cosines[60] = 0.3f;
		CosinePercentiles percentiles = CosinePercentiles.of(cosines);
		assertThat(percentiles.p99()).isEqualTo(0.3f);
		assertThat(percentiles.p90()).isEqualTo(0.95f);
		assertThat(cosines[17]).isEqualTo(0.2f);
	}

	@Test
	void noCosinesNoPercentiles() {
		assertThat(CosinePercentiles.of(new float[0])).isEqualTo(CosinePercentiles.UNDEFINED);
		assertThat(Double.isNaN(CosinePercentiles.UNDEFINED.p50())).isTrue();
	}

}
