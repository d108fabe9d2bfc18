package ai.phreg.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.IntStream;

/**
 * Every artifact figure of one model over one set of images, as plain numbers and lists
 * so it serialises to JSON as is and two summaries (teacher, student) compare field by
 * field. Undefined figures are NaN, or null for the thresholds and the outlier map;
 * nothing is Optional.
 * <p>
 * Norm statistics, the histogram and the outlier fraction pool the tokens of all images;
 * the neighbour cosine is the mean of the per-image means. To compare a teacher with its
 * student, measure the student with the teacher's threshold, since a clean student has no
 * valley of its own: <pre>{@code
 * ArtifactSummary teacher = ArtifactSummary.measure(teacherFeatures);
 * ArtifactSummary student = ArtifactSummary.measure(studentFeatures, teacher.threshold(), targets);
 * }</pre>
 *
 * @param imageCount number of images
 * @param gridHeight patch rows of every image
 * @param gridWidth patch columns of every image
 * @param dim feature dimension
 * @param medianNorm median token norm
 * @param maxNorm largest token norm
 * @param maxToMedianRatio {@code maxNorm / medianNorm}, about 10 with artifacts
 * @param normVariance population variance of the token norms
 * @param valleyThreshold the valley of this set's own norm histogram
 * ({@link NormHistogram#valleyThreshold()}), null when the norms are unimodal
 * @param threshold the threshold the outlier figures use: the one asked for, else the
 * valley; null when there is neither
 * @param outlierFraction fraction of tokens with a norm above {@code threshold}, NaN
 * without one
 * @param outlierMap row-major {@code gridHeight x gridWidth} fraction of images in which
 * each position is an outlier, null without a threshold
 * @param neighbourCosine mean cosine between 4-neighbouring patches
 * ({@link ArtifactMetrics#neighbourCosine})
 * @param cosineToTarget percentiles of the per-token cosine to the targets
 * ({@link CosinePercentiles}), all NaN without targets
 * @param histogramCounts counts of the pooled norm histogram, logarithmic bins over the
 * positive norms
 * @param histogramEdges its {@code histogramCounts.size() + 1} bin edges, a geometric
 * sequence
 */
public record ArtifactSummary(int imageCount, int gridHeight, int gridWidth, int dim, double medianNorm, double maxNorm,
		double maxToMedianRatio, double normVariance, Double valleyThreshold, Double threshold, double outlierFraction,
		List<Double> outlierMap, double neighbourCosine, CosinePercentiles cosineToTarget, List<Long> histogramCounts,
		List<Double> histogramEdges) {

	/** Histogram bins: fine enough to resolve a 1-3% mode, coarse enough to fill. */
	public static final int HISTOGRAM_BINS = 64;

	public ArtifactSummary {
		outlierMap = (outlierMap != null) ? List.copyOf(outlierMap) : null;
		histogramCounts = List.copyOf(histogramCounts);
		histogramEdges = List.copyOf(histogramEdges);
	}

	/**
	 * Measures a set of images on its own: the threshold is its valley, and there is no
	 * target.
	 * @param images features of each image, all of one shape
	 * @return the summary
	 */
	public static ArtifactSummary measure(List<PatchFeatures> images) {
		return measure(images, null, List.of());
	}

	/**
	 * Measures a set of images against a threshold and targets.
	 * @param images features of each image, all of one shape
	 * @param threshold the outlier threshold, typically the teacher's; null to use this
	 * set's own valley
	 * @param targets one target per image, same order and shape (for example the denoised
	 * teacher features), or empty to skip the cosine percentiles
	 * @return the summary
	 */
	public static ArtifactSummary measure(List<PatchFeatures> images, Double threshold, List<PatchFeatures> targets) {
		if (images.isEmpty()) {
			throw new IllegalArgumentException("Nothing to measure");
		}
		if (threshold != null && !Double.isFinite(threshold)) {
			throw new IllegalArgumentException("Threshold must be finite, got " + threshold);
		}
		if (!targets.isEmpty() && targets.size() != images.size()) {
			throw new IllegalArgumentException(images.size() + " images but " + targets.size() + " targets");
		}
		PatchFeatures first = images.get(0);
		List<PatchGrid> norms = new ArrayList<>(images.size());
		double neighbourCosine = 0;
		for (PatchFeatures image : images) {
			if (!image.sameShape(first)) {
				throw new IllegalArgumentException("All images must share one shape, got " + first + " and " + image);
			}
			norms.add(TokenNorms.of(image));
			neighbourCosine += ArtifactMetrics.neighbourCosine(image) / images.size();
		}
		float[] pooled = pool(norms.stream().map(PatchGrid::values).toList());
		NormHistogram histogram = NormHistogram.of(pooled, HISTOGRAM_BINS, NormHistogram.Spacing.LOGARITHMIC);
		OptionalDouble valley = histogram.valleyThreshold();
		Double valleyThreshold = valley.isPresent() ? valley.getAsDouble() : null;
		Double used = (threshold != null) ? threshold : valleyThreshold;
		CosinePercentiles cosines = CosinePercentiles.UNDEFINED;
		if (!targets.isEmpty()) {
			List<float[]> perImage = new ArrayList<>(images.size());
			for (int i = 0; i < images.size(); i++) {
				perImage.add(ArtifactMetrics.cosineToTarget(images.get(i), targets.get(i)));
			}
			cosines = CosinePercentiles.of(pool(perImage));
		}
		return new ArtifactSummary(images.size(), first.gridHeight(), first.gridWidth(), first.dim(),
				ArtifactMetrics.median(pooled), ArtifactMetrics.max(pooled), ArtifactMetrics.maxToMedianRatio(pooled),
				ArtifactMetrics.variance(pooled), valleyThreshold, used,
				(used != null) ? ArtifactMetrics.outlierFraction(pooled, used) : Double.NaN,
				(used != null) ? doubles(ArtifactMetrics.outlierMap(norms, used).values()) : null, neighbourCosine,
				cosines, Arrays.stream(histogram.counts()).boxed().toList(),
				Arrays.stream(histogram.edges()).boxed().toList());
	}

	private static float[] pool(List<float[]> arrays) {
		float[] pooled = new float[arrays.stream().mapToInt((array) -> array.length).sum()];
		int at = 0;
		for (float[] array : arrays) {
			System.arraycopy(array, 0, pooled, at, array.length);
			at += array.length;
		}
		return pooled;
	}

	private static List<Double> doubles(float[] values) {
		return IntStream.range(0, values.length).mapToObj((i) -> (double) values[i]).toList();
	}

}
