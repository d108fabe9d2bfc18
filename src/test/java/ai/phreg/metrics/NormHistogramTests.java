package ai.phreg.metrics;

import java.util.OptionalDouble;
import java.util.Random;

import ai.phreg.metrics.NormHistogram.Spacing;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

class NormHistogramTests {

	@Test
	void linearBinsOverTheDataRangeWithTheMaximumInTheLastBin() {
		NormHistogram histogram = NormHistogram.of(new float[] { 0, 1, 2, 3, 4, 4, 2.5f }, 4, Spacing.LINEAR);
		assertThat(histogram.counts()).containsExactly(1, 1, 2, 3);
		assertThat(histogram.edges()).containsExactly(0, 1, 2, 3, 4);
		assertThat(histogram.total()).isEqualTo(7);
	}

	@Test
	void aGivenRangeLeavesOutsidersAndNaNUncounted() {
		NormHistogram histogram = NormHistogram.of(new float[] { -1, 0.5f, 1.5f, 2, 7, Float.NaN }, 2, Spacing.LINEAR,
				0, 2);
		assertThat(histogram.counts()).containsExactly(1, 2);
		assertThat(histogram.total()).isEqualTo(3);
	}

	@Test
	void logarithmicEdgesAreGeometricAndSkipNonPositiveValues() {
		NormHistogram histogram = NormHistogram.of(new float[] { 1, 20, 300, 1000, 0, -5 }, 3, Spacing.LOGARITHMIC);
		assertThat(histogram.edges()).containsExactly(new double[] { 1, 10, 100, 1000 }, within(1e-9));
		assertThat(histogram.counts()).containsExactly(1, 1, 2);
	}

	@Test
	void aConstantSampleGetsAUnitRangeAroundIt() {
		NormHistogram histogram = NormHistogram.of(new float[] { 3, 3, 3 }, 2, Spacing.LINEAR);
		assertThat(histogram.edges()).containsExactly(2.5, 3, 3.5);
		assertThat(histogram.counts()).containsExactly(0, 3);
	}

	@Test
	void nothingToBinIsRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> NormHistogram.of(new float[] { 0, -1 }, 8, Spacing.LOGARITHMIC))
			.withMessageContaining("No values");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> NormHistogram.of(new float[] { 1 }, 8, Spacing.LOGARITHMIC, 0, 10))
			.withMessageContaining("finite and increasing");
	}

	@ParameterizedTest
	@EnumSource(Spacing.class)
	void valleyOfABimodalSampleSeparatesTheArtifacts(Spacing spacing) {
		// 3% artifacts around 60 among normal tokens around 10, like pooled ViT norms.
		float[] norms = bimodal(20_000, 600, new Random(42));
		OptionalDouble valley = NormHistogram.of(norms, 64, spacing).valleyThreshold();
		assertThat(valley).isPresent();
		assertThat(valley.getAsDouble()).isBetween(15.0, 40.0);
		assertThat(ArtifactMetrics.outlierFraction(norms, valley.getAsDouble())).isCloseTo(0.03, within(0.002));
	}

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5, 6, 7, 8 })
	void unimodalSamplesHaveNoValley(long seed) {
		Random random = new Random(seed);
		float[] normal = new float[5000];
		float[] logNormal = new float[5000];
		for (int i = 0; i < normal.length; i++) {
			normal[i] = (float) (10 + random.nextGaussian());
			logNormal[i] = (float) Math.exp(Math.log(10) + 0.3 * random.nextGaussian());
		}
		assertThat(NormHistogram.of(normal, 64, Spacing.LINEAR).valleyThreshold()).isEmpty();
		assertThat(NormHistogram.of(normal, 64, Spacing.LOGARITHMIC).valleyThreshold()).isEmpty();
		assertThat(NormHistogram.of(logNormal, 64, Spacing.LOGARITHMIC).valleyThreshold()).isEmpty();
	}

	@Test
	void aFewStragglersAreNotAPopulation() {
		// Three far tokens in ten thousand: a gap, but 0.03% of the mass, below 0.5%.
		float[] norms = bimodal(10_000, 3, new Random(11));
		assertThat(NormHistogram.of(norms, 64, Spacing.LOGARITHMIC).valleyThreshold()).isEmpty();
	}

	private static float[] bimodal(int count, int artifacts, Random random) {
		float[] norms = new float[count];
		for (int i = 0; i < count; i++) {
			norms[i] = (float) ((i < artifacts) ? 60 + 5 * random.nextGaussian() : 10 + random.nextGaussian());
		}
		return norms;
	}

}
