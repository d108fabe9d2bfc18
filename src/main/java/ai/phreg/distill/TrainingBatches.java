package ai.phreg.distill;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import ai.phreg.imagesource.SkippedImage;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.phreg.distill.cache.Digests;
import ai.phreg.image.BicubicResize;
import ai.phreg.image.Crop;
import ai.phreg.image.Normalization;
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
	private final LinkedHashMap<Integer, Resized> resized = new LinkedHashMap<>(16, 0.75f, true);

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
	 * The batch of step {@code stepInEpoch} of epoch {@code epoch}, crops drawn for that
	 * epoch; null when every image of it was unreadable.
	 */
	public Batch batch(long epoch, long stepInEpoch, NDManager manager) {
		return prepare(epoch, stepInEpoch, epoch).toBatch(manager);
	}

	/**
	 * Decodes, resizes, crops and normalizes the images of step {@code stepInEpoch} of
	 * epoch {@code epoch} without touching the engine, so that it can run on another
	 * thread while the current step trains. Crops are drawn for {@code cropRound}: the
	 * epoch itself, or the view set a target cache cycles through.
	 */
	public PreparedBatch prepare(long epoch, long stepInEpoch, long cropRound) {
		int[] order = order(epoch);
		int from = (int) (stepInEpoch * this.batchSize);
		int to = Math.min(order.length, from + this.batchSize);
		return prepareImages(Arrays.copyOfRange(order, from, to), cropRound);
	}

	/**
	 * The images {@code indices}, cropped as in {@code cropRound}: exactly the crops
	 * training draws for them in that round, whichever batch they fall into, so targets
	 * can be computed ahead of training.
	 */
	public synchronized PreparedBatch prepareImages(int[] indices, long cropRound) {
		List<Sample> samples = new ArrayList<>();
		int plane = 3 * this.resolution * this.resolution;
		float[] pixels = new float[indices.length * plane];
		Normalization normalization = this.normalization;
		for (int index : indices) {
			try {
				Resized image = resized(index);
				SplittableRandom random = new SplittableRandom(Seeds.derive(this.seed, CROP, cropRound, index));
				int top = random.nextInt(image.pixels().height() - this.resolution + 1);
				int left = random.nextInt(image.pixels().width() - this.resolution + 1);
				RgbImage crop = Crop.window(image.pixels(), top, left, this.resolution, this.resolution);
				System.arraycopy(normalization.toChw(crop), 0, pixels, samples.size() * plane, plane);
				samples.add(new Sample(index, top, left, image.digest()));
			}
			catch (IOException ex) {
				this.unreadable.put(index, SkippedImage.reasonOf(ex));
			}
		}
		// Unreadable images leave no crop: the tensor takes only the crops there are.
		float[] read = (samples.size() < indices.length) ? Arrays.copyOf(pixels, samples.size() * plane) : pixels;
		return new PreparedBatch(read, this.resolution, samples);
	}

	/**
	 * Decodes and resizes every image now, as far as the cache's budget holds them, so
	 * that the first epoch does not wait for them; unreadable ones are remembered as in
	 * {@link #prepare}.
	 */
	public synchronized void decodeAll() {
		for (int index = 0; index < this.images.size() && this.cachedBytes < this.cacheBudgetBytes; index++) {
			try {
				resized(index);
			}
			catch (IOException ex) {
				this.unreadable.put(index, SkippedImage.reasonOf(ex));
			}
		}
	}

	private Resized resized(int index) throws IOException {
		Resized image = this.resized.get(index);
		if (image == null) {
			image = Resized.of(BicubicResize.resizeShorterSide(this.images.read(index), this.resolution));
			this.resized.put(index, image);
			this.cachedBytes += image.pixels().pixels().length;
			var oldest = this.resized.entrySet().iterator();
			while (this.cachedBytes > this.cacheBudgetBytes && oldest.hasNext()) {
				this.cachedBytes -= oldest.next().getValue().pixels().pixels().length;
				oldest.remove();
			}
		}
		return image;
	}

	/**
	 * Images skipped so far because they could not be read, by index, with the reason.
	 */
	public synchronized TreeMap<Integer, String> unreadable() {
		return new TreeMap<>(this.unreadable);
	}

	/**
	 * An image resized to the training resolution, with a digest of its pixels: what a
	 * target cache keys images by, whatever their file name.
	 */
	private record Resized(RgbImage pixels, String digest) {

		static Resized of(RgbImage image) {
			return new Resized(image, Digests.ofImage(image));
		}

	}

	/**
	 * One training image of a batch.
	 *
	 * @param index its position in the image source
	 * @param top the crop's top row in the resized image
	 * @param left the crop's left column in the resized image
	 * @param imageDigest a digest of the resized image's pixels
	 */
	public record Sample(int index, int top, int left, String imageDigest) {
	}

	/**
	 * A batch made in plain Java, ready to become tensors.
	 *
	 * @param pixels normalized crops, {@code B·3·R·R} values
	 * @param resolution R
	 * @param samples the images, in batch order
	 */
	public record PreparedBatch(float[] pixels, int resolution, List<Sample> samples) {

		/** The batch as tensors in {@code manager}; null when no image was readable. */
		public Batch toBatch(NDManager manager) {
			if (this.samples.isEmpty()) {
				return null;
			}
			NDArray stacked = manager.create(this.pixels,
					new Shape(this.samples.size(), 3, this.resolution, this.resolution));
			return new Batch(stacked, this.samples);
		}

	}

	/**
	 * @param pixels normalized crops {@code (B, 3, R, R)}
	 * @param samples the source image and crop of each
	 */
	public record Batch(NDArray pixels, List<Sample> samples) {

		/** The source index of each crop. */
		public List<Integer> imageIndices() {
			return this.samples.stream().map(Sample::index).toList();
		}

	}

}
