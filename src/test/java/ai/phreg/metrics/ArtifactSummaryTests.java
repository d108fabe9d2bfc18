package ai.phreg.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

class ArtifactSummaryTests {

	private static final int SIDE = 16;

	private static final int DIM = 32;

	// Artifacts recur at the same grid positions, as in real ViTs.
	private static final int[] ARTIFACT_TOKENS = { 0, 5 * SIDE + 11, 13 * SIDE + 2 };

	@Test
	void teacherWithArtifactsFindsThemAtTheirPositions() {
		List<PatchFeatures> teacher = images(true);
		ArtifactSummary summary = ArtifactSummary.measure(teacher);

		assertThat(summary.imageCount()).isEqualTo(12);
		assertThat(summary.valleyThreshold()).isNotNull().isEqualTo(summary.threshold());
		assertThat(summary.outlierFraction()).isEqualTo(3.0 / (SIDE * SIDE));
		for (int token = 0; token < SIDE * SIDE; token++) {
			boolean planted = token == ARTIFACT_TOKENS[0] || token == ARTIFACT_TOKENS[1] || token == ARTIFACT_TOKENS[2];
			assertThat(summary.outlierMap().get(token)).isEqualTo(planted ? 1.0 : 0.0);
		}
		assertThat(summary.maxToMedianRatio()).isCloseTo(10, within(0.5));
		assertThat(summary.histogramEdges()).hasSize(ArtifactSummary.HISTOGRAM_BINS + 1);
		assertThat(summary.histogramCounts().stream().mapToLong(Long::longValue).sum()).isEqualTo(12 * SIDE * SIDE);
		assertThat(Double.isNaN(summary.cosineToTarget().p50())).isTrue();
	}

	@Test
	void studentMeasuredWithTheTeachersThresholdAndTargets() {
		List<PatchFeatures> teacher = images(true);
		List<PatchFeatures> student = images(false);
		ArtifactSummary teacherSummary = ArtifactSummary.measure(teacher);
		ArtifactSummary studentSummary = ArtifactSummary.measure(student, teacherSummary.threshold(), student);

		assertThat(studentSummary.valleyThreshold()).isNull();
		assertThat(studentSummary.threshold()).isEqualTo(teacherSummary.threshold());
		assertThat(studentSummary.outlierFraction()).isZero();
		assertThat(studentSummary.outlierMap()).containsOnly(0.0);
		assertThat(studentSummary.maxToMedianRatio()).isLessThan(2);
		assertThat(studentSummary.normVariance()).isLessThan(teacherSummary.normVariance());
		assertThat(studentSummary.neighbourCosine()).isGreaterThan(teacherSummary.neighbourCosine());
		assertThat(studentSummary.cosineToTarget().p99()).isCloseTo(1, within(1e-6));

		// Against the clean features, the teacher's artifact tokens are the 1.2% that
		// agree worst: they show at p99 and not at p90.
		CosinePercentiles teacherToClean = ArtifactSummary.measure(teacher, null, student).cosineToTarget();
		assertThat(teacherToClean.p90()).isCloseTo(1, within(1e-6));
		assertThat(teacherToClean.p99()).isLessThan(0.5);
	}

	@Test
	void withoutAValleyOrAThresholdTheOutlierFiguresAreUndefined() {
		ArtifactSummary summary = ArtifactSummary.measure(images(false));
		assertThat(summary.threshold()).isNull();
		assertThat(Double.isNaN(summary.outlierFraction())).isTrue();
		assertThat(summary.outlierMap()).isNull();
	}

	@Test
	void mixedShapesAndMismatchedTargetsAreRefused() {
		List<PatchFeatures> images = List.of(PatchFeatures.of(new float[8], 2, 2),
				PatchFeatures.of(new float[8], 1, 4));
		assertThatIllegalArgumentException().isThrownBy(() -> ArtifactSummary.measure(images))
			.withMessageContaining("one shape");
		List<PatchFeatures> one = images.subList(0, 1);
		assertThatIllegalArgumentException().isThrownBy(() -> ArtifactSummary.measure(one, 1.0, images))
			.withMessageContaining("1 images but 2 targets");
	}

	@Test
	void serialisesToJsonAsPlainNumbersAndLists() {
		ArtifactSummary summary = ArtifactSummary.measure(images(true));
		JsonNode json = JsonMapper.builder().build().readTree(JsonMapper.builder().build().writeValueAsString(summary));
		assertThat(json.get("outlierFraction").asDouble()).isEqualTo(summary.outlierFraction());
		assertThat(json.get("outlierMap").size()).isEqualTo(SIDE * SIDE);
		assertThat(json.get("cosineToTarget").get("p99").asString()).isEqualTo("NaN");
	}

	// Twelve smooth images; with artifacts, the planted tokens are ten times the median.
	private static List<PatchFeatures> images(boolean artifacts) {
		List<PatchFeatures> images = new ArrayList<>();
		for (int image = 0; image < 12; image++) {
			float[] values = SyntheticFeatures.smoothField(SIDE, SIDE, DIM, new Random(image));
			if (artifacts) {
				double norm = 10 * SyntheticFeatures.medianNorm(values, SIDE, SIDE);
				for (int token : ARTIFACT_TOKENS) {
					SyntheticFeatures.plantArtifact(values, DIM, token, norm);
				}
			}
			images.add(PatchFeatures.of(values, SIDE, SIDE));
		}
		return images;
	}

}
