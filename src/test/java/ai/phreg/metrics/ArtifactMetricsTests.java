package ai.phreg.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

class ArtifactMetricsTests {

	private static final float[] NORMS = { 5, 0, 3, 7 };

	@Test
	void varianceIsThePopulationVariance() {
		// Mean 3.75; squared deviations 1.5625 + 14.0625 + 0.5625 + 10.5625 = 26.75.
		assertThat(ArtifactMetrics.variance(NORMS)).isCloseTo(26.75 / 4, within(1e-12));
		assertThat(ArtifactMetrics.variance(new float[] { 4, 4, 4 })).isZero();
	}

	@Test
	void medianAveragesTheMiddlePairOfAnEvenCount() {
		assertThat(ArtifactMetrics.median(NORMS)).isEqualTo(4);
		assertThat(ArtifactMetrics.median(new float[] { 5, 0, 3 })).isEqualTo(3);
		assertThat(NORMS).containsExactly(5, 0, 3, 7);
	}

	@Test
	void maxToMedianRatio() {
		assertThat(ArtifactMetrics.maxToMedianRatio(NORMS)).isEqualTo(7 / 4.0);
	}

	@Test
	void outlierFractionCountsOnlyValuesStrictlyAbove() {
		float[] norms = { 1, 2, 3, 10, 20 };
		assertThat(ArtifactMetrics.outlierFraction(norms, 3)).isEqualTo(0.4);
		assertThat(ArtifactMetrics.outlierFraction(norms, 2.5)).isEqualTo(0.6);
		assertThat(ArtifactMetrics.outlierFraction(norms, 20)).isZero();
	}

	@Test
	void outlierMapMarksPositionsPlantedInEveryImage() {
		List<PatchGrid> images = new ArrayList<>();
		Random random = new Random(7);
		for (int image = 0; image < 5; image++) {
			float[] norms = new float[3 * 4];
			for (int i = 0; i < norms.length; i++) {
				norms[i] = 9 + 2 * random.nextFloat();
			}
			norms[1] = 100;
			norms[2 * 4 + 3] = 80;
			images.add(new PatchGrid(norms, 3, 4));
		}
		PatchGrid map = ArtifactMetrics.outlierMap(images, 30);
		float[] expected = new float[12];
		expected[1] = 1;
		expected[11] = 1;
		assertThat(map.values()).containsExactly(expected);
		assertThat(map.at(0, 1)).isEqualTo(1);
	}

	@Test
	void outlierMapCountsTheShareOfImages() {
		List<PatchGrid> images = new ArrayList<>();
		for (int image = 0; image < 5; image++) {
			float[] norms = { 10, 10, 10, 10 };
			if (image < 2) {
				norms[3] = 100;
			}
			images.add(new PatchGrid(norms, 2, 2));
		}
		assertThat(ArtifactMetrics.outlierMap(images, 30).values()).containsExactly(0, 0, 0, 0.4f);
	}

	@Test
	void outlierMapRefusesMixedGrids() {
		List<PatchGrid> images = List.of(new PatchGrid(new float[4], 2, 2), new PatchGrid(new float[4], 1, 4));
		assertThatIllegalArgumentException().isThrownBy(() -> ArtifactMetrics.outlierMap(images, 1))
			.withMessageContaining("one grid");
	}

	@Test
	void neighbourCosineOfAConstantFieldIsOne() {
		float[] values = new float[4 * 5 * 3];
		for (int token = 0; token < 20; token++) {
			System.arraycopy(new float[] { 0.3f, -1.2f, 2f }, 0, values, token * 3, 3);
		}
		assertThat(ArtifactMetrics.neighbourCosine(PatchFeatures.of(values, 4, 5))).isCloseTo(1, within(1e-12));
	}

	@Test
	void neighbourCosineOfACheckerboardOfOrthogonalVectorsIsZero() {
		// Every 4-neighbour of an e1 patch is an e2 patch and vice versa.
		int height = 4;
		int width = 5;
		float[] values = new float[height * width * 2];
		for (int row = 0; row < height; row++) {
			for (int column = 0; column < width; column++) {
				values[(row * width + column) * 2 + (row + column) % 2] = 3;
			}
		}
		assertThat(ArtifactMetrics.neighbourCosine(PatchFeatures.of(values, height, width))).isZero();
	}

	@Test
	void anArtifactLowersTheNeighbourCosine() {
		float[] clean = SyntheticFeatures.smoothField(8, 8, 16, new Random(3));
		float[] withArtifact = clean.clone();
		SyntheticFeatures.plantArtifact(withArtifact, 16, 3 * 8 + 4, 10 * SyntheticFeatures.medianNorm(clean, 8, 8));
		double before = ArtifactMetrics.neighbourCosine(PatchFeatures.of(clean, 8, 8));
		double after = ArtifactMetrics.neighbourCosine(PatchFeatures.of(withArtifact, 8, 8));
		assertThat(before).isGreaterThan(0.9);
		// The artifact is nearly orthogonal to its four neighbours: 4 of the 112 pairs
		// lose almost all their similarity.
		assertThat(after).isLessThan(before - 3.0 / 112);
	}

	@Test
	void cosineToTargetPerToken() {
		float[] features = { 1, 0, /**/ 1, 0, /**/ 2, 0, /**/ 1, 0, /**/ 0, 0, /**/ 3, 4 };
		float[] target = { 5, 0, /**/ -1, 0, /**/ 0, 7, /**/ 1, 1, /**/ 1, 1, /**/ 3, 4 };
		float[] cosines = ArtifactMetrics.cosineToTarget(PatchFeatures.of(features, 2, 3),
				PatchFeatures.of(target, 2, 3));
		assertThat(cosines).containsExactly(new float[] { 1, -1, 0, (float) Math.sqrt(0.5), 0, 1 }, within(1e-6f));
	}

	@Test
	void cosineToTargetRefusesDifferentShapes() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ArtifactMetrics.cosineToTarget(PatchFeatures.of(new float[8], 2, 2),
					PatchFeatures.of(new float[8], 1, 4)))
			.withMessageContaining("differ in shape");
	}

	@Test
	void emptyInputsHaveUndefinedStatistics() {
		float[] none = {};
		assertThat(Arrays.asList(ArtifactMetrics.median(none), ArtifactMetrics.variance(none),
				ArtifactMetrics.outlierFraction(none, 1)))
			.allMatch((value) -> Double.isNaN(value));
	}

}
