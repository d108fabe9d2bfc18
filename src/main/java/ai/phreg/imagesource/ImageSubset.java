package ai.phreg.imagesource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import ai.phreg.image.RgbImage;

/**
 * Some images of a source, in a fixed order: the training set or the held-out evaluation
 * set.
 */
public final class ImageSubset implements ImageSource {

	private final ImageSource source;

	private final int[] indices;

	private ImageSubset(ImageSource source, int[] indices) {
		this.source = source;
		this.indices = indices;
	}

	/**
	 * Splits {@code source} into {@code heldOut} evaluation images and the rest for
	 * training, by a permutation drawn from {@code seed}.
	 */
	public static Split split(ImageSource source, int heldOut, long seed) {
		if (heldOut < 0 || heldOut >= source.size()) {
			throw new IllegalArgumentException("Cannot hold out " + heldOut + " of " + source.size()
					+ " images: at least one must remain for training");
		}
		int[] order = new int[source.size()];
		for (int i = 0; i < order.length; i++) {
			order[i] = i;
		}
		SplittableRandom random = new SplittableRandom(seed);
		for (int i = order.length - 1; i > 0; i--) {
			int j = random.nextInt(i + 1);
			int swap = order[i];
			order[i] = order[j];
			order[j] = swap;
		}
		int[] evaluation = Arrays.copyOfRange(order, 0, heldOut);
		int[] training = Arrays.copyOfRange(order, heldOut, order.length);
		Arrays.sort(evaluation);
		Arrays.sort(training);
		return new Split(new ImageSubset(source, training), new ImageSubset(source, evaluation));
	}

	@Override
	public int size() {
		return this.indices.length;
	}

	@Override
	public String name(int index) {
		return this.source.name(this.indices[index]);
	}

	@Override
	public RgbImage read(int index) throws IOException {
		return this.source.read(this.indices[index]);
	}

	/**
	 * The items the whole source left out when scanned: they were never split, so both
	 * subsets of a split report them.
	 */
	@Override
	public List<SkippedImage> skipped() {
		return this.source.skipped();
	}

	/** Every index of this subset, for evaluating all of it. */
	public List<Integer> all() {
		List<Integer> all = new ArrayList<>();
		for (int i = 0; i < this.indices.length; i++) {
			all.add(i);
		}
		return all;
	}

	/**
	 * @param training images to train on
	 * @param evaluation held-out images
	 */
	public record Split(ImageSubset training, ImageSubset evaluation) {
	}

}
