package ai.phreg.job;

import java.util.List;
import java.util.Map;

import ai.phreg.distill.registers.RegisterNeuron;
import ai.phreg.metrics.ArtifactSummary;

/**
 * What an analyze job found, as {@code analysis.json}, its report and its view show it:
 * where the teacher's register neurons are, and the teacher's artifacts beside those of
 * the three test-time fixes on the same images.
 *
 * @param images the images measured and pictured, by name
 * @param resolution the center crop they were measured at
 * @param search how the register neurons were searched
 * @param neurons the register neurons, highest score first
 * @param neuronsPerLayer how many of them each block up to the search's highest holds
 * @param neuronPicture the artifact name of the bar chart of {@code neuronsPerLayer}
 * @param sources the teacher and each fix, in that order
 * @param pictures one side-by-side picture per image
 */
public record Analysis(List<String> images, int resolution, NeuronSearch search, List<RegisterNeuron> neurons,
		List<LayerCount> neuronsPerLayer, String neuronPicture, List<Source> sources, List<Picture> pictures) {

	/**
	 * How the register neurons were searched and on what.
	 *
	 * @param outlierLayer the block whose output norms marked the outliers, from 0
	 * @param normThreshold the threshold they were marked with, null when none was given
	 * and the norms had no valley
	 * @param thresholdSource {@code given}, or {@code valley} of the norm histogram
	 * @param topK the neurons kept at most
	 * @param highestLayer the last block searched
	 * @param imagesScanned the images run through the teacher
	 * @param imagesWithOutliers those with an outlier token, which the scores average
	 * over
	 */
	public record NeuronSearch(int outlierLayer, Double normThreshold, String thresholdSource, int topK,
			int highestLayer, int imagesScanned, int imagesWithOutliers) {
	}

	/** {@code count} register neurons in block {@code layer}. */
	public record LayerCount(int layer, int count) {
	}

	/**
	 * One source of dense features.
	 *
	 * @param source {@code teacher}, {@code tta}, {@code test-time-registers} or
	 * {@code both}
	 * @param passesPerImage teacher passes per image: 1, or the views
	 * @param teacherSecondsPerImage the teacher's wall time per image over those passes
	 * @param summary its artifact figures at the teacher's outlier threshold, each
	 * against the denoised ({@code tta}) features
	 */
	public record Source(String source, int passesPerImage, double teacherSecondsPerImage, ArtifactSummary summary) {
	}

	/**
	 * One image's picture: the input, then each source's norm map on one colour scale.
	 *
	 * @param image the image's name
	 * @param artifact the picture's artifact name
	 * @param normMin the norm drawn in the scale's first colour
	 * @param normMax the norm drawn in its last colour
	 * @param maxNorms each source's largest patch-token norm on this image
	 */
	public record Picture(String image, String artifact, double normMin, double normMax, Map<String, Double> maxNorms) {
	}

}
