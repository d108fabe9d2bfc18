package ai.phreg.distill.registers;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.phreg.image.Preprocessing;
import ai.phreg.image.RgbImage;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.metrics.ArtifactSummary;
import ai.phreg.metrics.NormHistogram;
import ai.phreg.model.ForwardHooks;
import ai.phreg.model.MlpActivationRecorder;
import ai.phreg.model.ViTOutput;
import ai.phreg.model.VisionTransformer;

/**
 * Finds a frozen model's register neurons (Jiang et al., "Vision Transformers Don't Need
 * Trained Registers", 2025): on each image, the tokens whose output norm at the outlier
 * block exceeds the threshold are the outliers; every MLP neuron of the blocks up to the
 * limit is scored by its mean absolute activation (after the nonlinearity) at those
 * tokens (optionally only where the neuron is sparse on that image); the scores are
 * averaged over the images that have outliers, and the top k neurons are kept. Images
 * without outliers do not count, as in the authors' code.
 */
public final class RegisterNeurons {

	private RegisterNeurons() {
	}

	/**
	 * Scans the first {@link RegisterNeuronSearch#images()} images of {@code images}
	 * (unreadable ones are passed over), each resized and center-cropped by
	 * {@code preprocessing}. Without a given threshold the images are run twice: once for
	 * the outlier block's norms, whose histogram valley becomes the threshold, once to
	 * score.
	 * @param stopRequested asked before every image
	 * @throws IOException when no image could be read
	 * @throws CancellationException when {@code stopRequested} said so
	 */
	public static Found find(VisionTransformer model, Preprocessing preprocessing, ImageSource images,
			RegisterNeuronSearch search, NDManager manager, BooleanSupplier stopRequested) throws IOException {
		int depth = model.config().depth();
		int outlierLayer = (search.outlierLayer() < 0) ? depth + search.outlierLayer() : search.outlierLayer();
		if (outlierLayer < 0 || outlierLayer >= depth) {
			throw new IllegalArgumentException(
					"Outlier layer " + search.outlierLayer() + " does not exist in a model of " + depth + " blocks");
		}
		int highest = Math.min(search.highestLayer(), depth - 1);
		JniUtils.setGradMode(false);
		Double threshold = search.normThreshold();
		List<Integer> scanned = null;
		if (threshold == null) {
			float[][] pooled = { new float[0] };
			scanned = forEachImage(images, preprocessing, search.images(), null, stopRequested, (image) -> {
				try (NDManager pass = manager.newSubManager()) {
					pooled[0] = concat(pooled[0], norms(model, preprocessing, image, outlierLayer, null, pass));
				}
			});
			threshold = NormHistogram.of(pooled[0], ArtifactSummary.HISTOGRAM_BINS, NormHistogram.Spacing.LOGARITHMIC)
				.valleyThreshold()
				.stream()
				.boxed()
				.findFirst()
				.orElse(null);
			if (threshold == null) {
				return new Found(List.of(), null, scanned.size(), 0);
			}
		}
		int width = model.config().mlpHiddenDim();
		double[][] sums = new double[highest + 1][width];
		int[] withOutliers = { 0 };
		List<Integer> layers = IntStream.rangeClosed(0, highest).boxed().toList();
		double cut = threshold;
		scanned = forEachImage(images, preprocessing, search.images(), scanned, stopRequested, (image) -> {
			try (NDManager pass = manager.newSubManager()) {
				MlpActivationRecorder recorder = new MlpActivationRecorder(layers);
				float[] norms = norms(model, preprocessing, image, outlierLayer, recorder, pass);
				float[] marks = new float[norms.length];
				int count = 0;
				for (int t = 0; t < norms.length; t++) {
					if (norms[t] > cut) {
						marks[t] = 1;
						count++;
					}
				}
				if (count == 0) {
					return;
				}
				withOutliers[0]++;
				// (1, 1, T) x (1, T, h) / count: the mean |activation| at the outliers
				NDArray mask = pass.create(marks, new Shape(1, 1, norms.length)).div(count);
				for (int layer : layers) {
					NDArray activations = recorder.activations(layer);
					NDArray scored = mask.matMul(activations.abs());
					if (search.sparsity() != null) {
						// (1, 1, h): 1 where enough tokens leave the neuron below the cut
						NDArray quiet = activations.lt(RegisterNeuronSearch.SPARSE_ACTIVATION)
							.toType(DataType.FLOAT32, false)
							.sum(new int[] { 1 }, true);
						scored = scored
							.mul(quiet.gte(search.sparsity() * norms.length).toType(DataType.FLOAT32, false));
					}
					float[] scores = scored.toFloatArray();
					for (int n = 0; n < width; n++) {
						sums[layer][n] += scores[n];
					}
				}
			}
		});
		if (withOutliers[0] == 0) {
			return new Found(List.of(), threshold, scanned.size(), 0);
		}
		List<RegisterNeuron> ranked = new ArrayList<>();
		for (int layer = 0; layer <= highest; layer++) {
			for (int n = 0; n < width; n++) {
				ranked.add(new RegisterNeuron(layer, n, sums[layer][n] / withOutliers[0]));
			}
		}
		ranked.sort(Comparator.comparingDouble(RegisterNeuron::score).reversed());
		return new Found(List.copyOf(ranked.subList(0, Math.min(search.topK(), ranked.size()))), threshold,
				scanned.size(), withOutliers[0]);
	}

	/**
	 * Runs {@code visit} on each readable image, resized and cropped, up to
	 * {@code limit}: the images {@code known} lists, or when null the first readable ones
	 * in order (an unreadable image is passed over and the next takes its place). Images
	 * are read again in each pass rather than all held: 500 crops would take hundreds of
	 * megabytes.
	 * @return the indices visited
	 */
	private static List<Integer> forEachImage(ImageSource images, Preprocessing preprocessing, int limit,
			List<Integer> known, BooleanSupplier stopRequested, Consumer<RgbImage> visit) throws IOException {
		List<Integer> candidates = (known != null) ? known : IntStream.range(0, images.size()).boxed().toList();
		List<Integer> visited = new ArrayList<>();
		for (int index : candidates) {
			if (visited.size() >= limit) {
				break;
			}
			if (stopRequested.getAsBoolean()) {
				throw new CancellationException("The register neuron search was stopped by request");
			}
			RgbImage image;
			try {
				image = preprocessing.resizeAndCrop(images.read(index));
			}
			catch (IOException ex) {
				continue;
			}
			visit.accept(image);
			visited.add(index);
		}
		if (visited.isEmpty()) {
			throw new IOException("None of the " + images.size() + " images could be read to find register neurons");
		}
		return visited;
	}

	/**
	 * The norms {@code (T)} of every token at the outlier block's output, with the
	 * recorder (nullable) seeing the MLP activations on the way.
	 */
	private static float[] norms(VisionTransformer model, Preprocessing preprocessing, RgbImage image, int outlierLayer,
			MlpActivationRecorder recorder, NDManager pass) {
		NDArray pixels = preprocessing.toPixelTensor(pass, image);
		ForwardHooks hooks = (recorder != null) ? ForwardHooks.of(recorder) : ForwardHooks.NONE;
		ViTOutput output = model.forward(new ParameterStore(pass, false), pixels, false, true, hooks);
		// hidden states: the embeddings, then each block's output
		return output.hiddenStates().get(outlierLayer + 1).norm(new int[] { 2 }).toFloatArray();
	}

	private static float[] concat(float[] a, float[] b) {
		float[] joined = Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, joined, a.length, b.length);
		return joined;
	}

	/**
	 * What a search found.
	 *
	 * @param neurons the register neurons, highest score first
	 * @param threshold the norm threshold the outliers were marked with, null when none
	 * was given and the norms showed no valley (then there are no neurons)
	 * @param imagesScanned the images run through the model
	 * @param imagesWithOutliers those with at least one outlier token, which the scores
	 * average over
	 */
	public record Found(List<RegisterNeuron> neurons, Double threshold, int imagesScanned, int imagesWithOutliers) {

		/** How many of the neurons each block holds, by block, blocks without none. */
		public Map<Integer, Integer> perLayer() {
			Map<Integer, Integer> counts = new TreeMap<>();
			for (RegisterNeuron neuron : this.neurons) {
				counts.merge(neuron.layer(), 1, Integer::sum);
			}
			return counts;
		}

	}

}
