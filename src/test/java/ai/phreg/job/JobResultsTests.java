package ai.phreg.job;

import java.util.List;
import java.util.Map;

import ai.phreg.metrics.ArtifactSummary;
import ai.phreg.metrics.PatchFeatures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The results summary: the evaluation's figures, teacher and student, under their names,
 * and the lines the demo job logs.
 */
class JobResultsTests {

	@Test
	void theSummaryTakesEachFigureFromTheEvaluationAndDescribesTeacherToStudent() {
		// given a teacher with one very high-norm token in a grid of 4x4 and a clean
		// student
		ArtifactSummary teacher = ArtifactSummary.measure(List.of(features(50f)));
		ArtifactSummary student = ArtifactSummary.measure(List.of(features(1.5f)), 10.0, List.of());
		EvaluateTasklet.Evaluation evaluation = new EvaluateTasklet.Evaluation(List.of("a.jpg"), 56, teacher, student,
				Map.of(), List.of());

		JobResults results = JobResults.of(evaluation);

		assertThat(results.images()).isEqualTo(1);
		assertThat(results.resolution()).isEqualTo(56);
		assertThat(results.threshold()).isEqualTo(teacher.threshold());
		assertThat(results.teacher())
			.isEqualTo(new JobResults.Figures(teacher.outlierFraction(), teacher.maxToMedianRatio(), teacher.maxNorm(),
					teacher.medianNorm(), teacher.neighbourCosine(), teacher.normVariance()));
		assertThat(results.student().outlierFraction()).isZero();
		assertThat(results.student().maxToMedianRatio()).isEqualTo(student.maxToMedianRatio());
		assertThat(results.describe().lines()).hasSize(4)
			.first()
			.isEqualTo(String.format("outlier fraction:       %.4f -> %.4f", teacher.outlierFraction(), 0.0));
		assertThat(results.describe()).contains(String.format("max/median norm ratio:  %.2f -> %.2f",
				teacher.maxToMedianRatio(), student.maxToMedianRatio()));
	}

	/** 16 tokens of norm 1 along alternating axes, one of norm {@code outlierNorm}. */
	private static PatchFeatures features(float outlierNorm) {
		int dim = 2;
		float[] values = new float[16 * dim];
		for (int token = 0; token < 16; token++) {
			values[token * dim + token % 2] = (token == 5) ? outlierNorm : 1f + token * 0.01f;
		}
		return PatchFeatures.of(values, 4, 4);
	}

}
