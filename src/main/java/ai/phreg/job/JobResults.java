package ai.phreg.job;

import ai.phreg.metrics.ArtifactSummary;

/**
 * What the job achieved, teacher against student on the held-out images: the figures of
 * the evaluation a user looks at first.
 *
 * @param images held-out images measured
 * @param resolution the crop they were measured at
 * @param threshold the teacher's outlier threshold (the valley of its norm histogram),
 * which the student is measured at too; null when the teacher's norms have no valley
 * @param teacher the teacher's figures
 * @param student the student's figures
 */
public record JobResults(int images, int resolution, Double threshold, Figures teacher, Figures student) {

	static JobResults of(EvaluateTasklet.Evaluation evaluation) {
		return new JobResults(evaluation.teacher().imageCount(), evaluation.resolution(),
				evaluation.teacher().threshold(), Figures.of(evaluation.teacher()), Figures.of(evaluation.student()));
	}

	/** One line per figure, {@code name: teacher -> student}, for logs and terminals. */
	public String describe() {
		return String.join("\n",
				String.format("outlier fraction:       %.4f -> %.4f", this.teacher.outlierFraction,
						this.student.outlierFraction),
				String.format("max/median norm ratio:  %.2f -> %.2f", this.teacher.maxToMedianRatio,
						this.student.maxToMedianRatio),
				String.format("neighbour cosine:       %.4f -> %.4f", this.teacher.neighbourCosine,
						this.student.neighbourCosine),
				String.format("norm variance:          %.4g -> %.4g", this.teacher.normVariance,
						this.student.normVariance));
	}

	/**
	 * One model's artifact figures.
	 *
	 * @param outlierFraction share of patch tokens above the teacher's threshold (NaN
	 * without one)
	 * @param maxToMedianRatio largest over median patch-token norm, about 10 with
	 * artifacts
	 * @param maxNorm the largest patch-token norm
	 * @param medianNorm the median patch-token norm
	 * @param neighbourCosine mean cosine between neighbouring patches, higher when smooth
	 * @param normVariance variance of the patch-token norms
	 */
	public record Figures(double outlierFraction, double maxToMedianRatio, double maxNorm, double medianNorm,
			double neighbourCosine, double normVariance) {

		static Figures of(ArtifactSummary summary) {
			return new Figures(summary.outlierFraction(), summary.maxToMedianRatio(), summary.maxNorm(),
					summary.medianNorm(), summary.neighbourCosine(), summary.normVariance());
		}

	}

}
