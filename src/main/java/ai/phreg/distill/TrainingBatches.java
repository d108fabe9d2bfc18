package ai.phreg.distill;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.phreg.image.BicubicResize;
import ai.phreg.image.Crop;
import ai.phreg.image.Normalization;
import ai.phreg.image.Preprocessing;
import ai.phreg.image.RgbImage;
import ai.phreg.imagesource.ImageSource;

/**
 * PH-Reg's training input: each epoch visits the images in a seeded shuffled order; each
 * image is resized so its shorter side is R (bicubic), cropped to a random R×R square and
 * normalized. Order and crops are derived from the seed, the epoch and the position, so
 * any step can be replayed exactly. Images that cannot be decoded are skipped and
 * remembered.
 */
public final class TrainingBatches {

	private static final long ORDER = 1;

	private static final long CROP = 2;

	private final ImageSource images;

	private final int resolution;

	private final Normalization normalization;

	private final int batchSize;

	private final long seed;

	private final TreeMap<Integer, String> unreadable = new TreeMap<>();

	/**
	 * Decoded images resized to the training resolution, least recently used first:
	 * decoding and resizing cost more than the tiny demo networks' forward passes, and
	 * every epoch revisits every image.
	 */
	private final LinkedHashMap<Integer, RgbImage> resized = new LinkedHashMap<>(16, 0.75f, true);

	private final long cacheBudgetBytes;

	private long cachedBytes;

	/**
	 * @param cacheBudgetBytes memory for resized images kept between epochs, 0 for none
	 */
	public TrainingBatches(ImageSource images, int resolution, Normalization normalization, int batchSize, long seed,
			long cacheBudgetBytes) {
		if (batchSize < 1 || resolution < 1) {
			throw new IllegalArgumentException("Batch size and resolution must be positive");
		}
		this.images = images;
		this.resolution = resolution;
		this.normalization = normalization;
		this.batchSize = batchSize;
		this.seed = seed;
		this.cacheBudgetBytes = cacheBudgetBytes;
	}

	/** Steps per epoch; the last batch of an epoch may be smaller. */
	public long stepsPerEpoch() {
		return (this.images.size() + this.batchSize - 1) / this.batchSize;
	}

	/** The image indices of epoch {@code epoch} in visiting order. */
	public int[] order(long epoch) {
		int[] order = new int[this.images.size()];
		for (int i = 0; i < order.length; i++) {
			order[i] = i;
		}
		SplittableRandom random = new SplittableRandom(Seeds.derive(this.seed, ORDER, epoch));
		for (int i = order.length - 1; i > 0; i--) {
			int j = random.nextInt(i + 1);
			int swap = order[i];
			order[i] = order[j];
			order[j] = swap;
		}
		return order;
	}

	/**
	 * The batch of step {@code stepInEpoch} of epoch {@code epoch}; null when every image
	 * of it was unreadable.
	 */
	public Batch batch(long epoch, long stepInEpoch, NDManager manager) {
		int[] order = order(epoch);
		int from = (int) (stepInEpoch * this.batchSize);
		int to = Math.min(order.length, from + this.batchSize);
		List<Integer> used = new ArrayList<>();
		NDList pixels = new NDList();
		for (int position = from; position < to; position++) {
			int index = order[position];
			try {
				RgbImage crop = randomCrop(resized(index), Seeds.derive(this.seed, CROP, epoch, index));
				pixels.add(Preprocessing.square(this.resolution, this.normalization).toPixelTensor(manager, crop));
				used.add(index);
			}
			catch (IOException ex) {
				this.unreadable.put(index, ex.getMessage());
			}
		}
		if (used.isEmpty()) {
			return null;
		}
		// (B, 3, R, R)
		NDArray stacked = NDArrays.concat(pixels);
		return new Batch(stacked, used);
	}

	private RgbImage resized(int index) throws IOException {
		RgbImage image = this.resized.get(index);
		if (image == null) {
			image = BicubicResize.resizeShorterSide(this.images.read(index), this.resolution);
			this.resized.put(index, image);
			this.cachedBytes += image.pixels().length;
			var oldest = this.resized.entrySet().iterator();
			while (this.cachedBytes > this.cacheBudgetBytes && oldest.hasNext()) {
				this.cachedBytes -= oldest.next().getValue().pixels().length;
				oldest.remove();
			}
		}
		return image;
	}

	private RgbImage randomCrop(RgbImage resized, long cropSeed) {
		SplittableRandom random = new SplittableRandom(cropSeed);
		int top = random.nextInt(resized.height() - this.resolution + 1);
		int left = random.nextInt(resized.width() - this.resolution + 1);
		return Crop.window(resized, top, left, this.resolution, this.resolution);
	}

	/**
	 * Images skipped so far because they could not be read, by index, with the reason.
	 */
	public TreeMap<Integer, String> unreadable() {
		return this.unreadable;
	}

	/**
	 * @param pixels normalized crops {@code (B, 3, R, R)}
	 * @param imageIndices the source index of each crop
	 */
	public record Batch(NDArray pixels, List<Integer> imageIndices) {
	}

}
