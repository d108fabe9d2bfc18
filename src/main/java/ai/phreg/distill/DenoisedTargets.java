package ai.phreg.distill;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.image.Normalization;

/**
 * PH-Reg's denoised teacher targets: every image is shown to the frozen teacher in
 * several views shifted by whole patches (vacated pixels white) and possibly mirrored;
 * each view's patch features are moved back to the patches they show and averaged by
 * coverage. Artifacts sit at grid positions, not on content, so averaging aligned views
 * dilutes them while content agrees.
 */
public final class DenoisedTargets {

	private final int patchSize;

	private final float[] whitePixel;

	/**
	 * Where each thread writes the views of its teacher passes (the prefetch thread may
	 * compute targets too).
	 */
	private final ThreadLocal<ViewBuffer> buffers = ThreadLocal.withInitial(ViewBuffer::new);

	/**
	 * @param patchSize the teacher's patch side in pixels
	 * @param normalization the teacher's pixel normalization, which decides what white is
	 */
	public DenoisedTargets(int patchSize, Normalization normalization) {
		this.patchSize = patchSize;
		float[] mean = normalization.mean();
		float[] std = normalization.std();
		this.whitePixel = new float[mean.length];
		for (int c = 0; c < mean.length; c++) {
			this.whitePixel[c] = (1f - mean[c]) / std[c];
		}
	}

	/**
	 * Targets {@code (B, N, D)} for images {@code (B, 3, H, W)}, one plan per image, from
	 * a single teacher pass over all {@code B·V} views.
	 */
	public NDArray compute(DenseFeatures teacher, ParameterStore store, NDArray images, List<TtaPlan> plans) {
		return compute(teacher, store, images, plans, 0, new PhaseTimes());
	}

	/**
	 * Targets {@code (B, N, D)} for images {@code (B, 3, H, W)}, one plan per image, the
	 * teacher running over at most {@code chunk} views per pass (0: all {@code B·V} at
	 * once, as the authors do). The targets do not depend on the chunk; on a CPU a few
	 * images per pass are faster, because the attention intermediates stay small enough
	 * to be cached and reused rather than freshly paged in.
	 * @param times receives the augment, forward and recover times
	 */
	public NDArray compute(DenseFeatures teacher, ParameterStore store, NDArray images, List<TtaPlan> plans, int chunk,
			PhaseTimes times) {
		long mark = System.nanoTime();
		long batch = images.getShape().get(0);
		if (plans.size() != batch) {
			throw new IllegalArgumentException(plans.size() + " plans for " + batch + " images");
		}
		if (chunk < 0) {
			throw new IllegalArgumentException("The teacher chunk must be 0 (all views) or positive, got " + chunk);
		}
		int gridHeight = (int) (images.getShape().get(2) / this.patchSize);
		int gridWidth = (int) (images.getShape().get(3) / this.patchSize);
		List<ImageView> views = imageMajor(plans);
		int perPass = (chunk == 0) ? views.size() : Math.min(chunk, views.size());
		float[] pixels = images.toFloatArray();
		NDManager owner = images.getManager();
		ViewBuffer buffer = this.buffers.get();
		NDList parts = new NDList();
		mark = times.record(StepPhase.TEACHER_AUGMENT, mark);
		for (int from = 0; from < views.size(); from += perPass) {
			List<ImageView> pass = views.subList(from, Math.min(views.size(), from + perPass));
			try (NDManager passManager = owner.newSubManager()) {
				NDArray slice = buffer.fill(pass, pixels, images.getShape(), passManager);
				mark = times.record(StepPhase.TEACHER_AUGMENT, mark);
				NDArray features = teacher.of(store, slice, false);
				// (V, N, D) -> (V·N, D): rows of the gather in recover
				NDArray rows = features.reshape(-1, features.getShape().get(2));
				rows.attach(owner);
				parts.add(rows);
				mark = times.record(StepPhase.TEACHER_FORWARD, mark);
			}
		}
		NDArray result = recoverRows(parts, plans, gridHeight, gridWidth);
		times.record(StepPhase.TEACHER_RECOVER, mark);
		return result;
	}

	/** Every image's views in order, image-major: the order of the teacher passes. */
	private static List<ImageView> imageMajor(List<TtaPlan> plans) {
		List<ImageView> views = new ArrayList<>();
		for (int b = 0; b < plans.size(); b++) {
			for (TtaView view : plans.get(b).views()) {
				views.add(new ImageView(b, view));
			}
		}
		return views;
	}

	/** The views {@code (V, 3, H, W)} of one image {@code (3, H, W)}. */
	public NDArray augment(NDArray image, TtaPlan plan) {
		return augment(image.expandDims(0), List.of(plan));
	}

	/**
	 * The views {@code (ΣV, 3, H, W)} of images {@code (B, 3, H, W)}, image-major, as
	 * {@link #compute} builds them for its teacher passes.
	 */
	NDArray augment(NDArray images, List<TtaPlan> plans) {
		List<ImageView> views = imageMajor(plans);
		float[] target = new float[views.size() * 3 * planeOf(images.getShape())];
		writeViews(views, images.toFloatArray(), images.getShape(), target);
		Shape shape = images.getShape();
		return images.getManager().create(target, new Shape(views.size(), 3, shape.get(2), shape.get(3)));
	}

	/**
	 * Writes {@code views} of the images whose pixels are {@code source} ({@code shape}
	 * {@code (B, 3, H, W)}) one after the other into {@code target}. Built in one pass
	 * over plain arrays and handed to the engine once: per-view tensor slicing, filling
	 * and flipping cost more in native calls and fresh buffers than the copying itself.
	 */
	private void writeViews(List<ImageView> views, float[] source, Shape shape, float[] target) {
		int height = (int) shape.get(2);
		int width = (int) shape.get(3);
		int plane = height * width;
		int out = 0;
		for (ImageView view : views) {
			for (int c = 0; c < 3; c++) {
				shiftPlane(source, (view.image() * 3 + c) * plane, target, out, height, width, view.view(),
						this.whitePixel[c]);
				out += plane;
			}
		}
	}

	private static int planeOf(Shape images) {
		return (int) (images.get(2) * images.get(3));
	}

	/**
	 * Writes one channel of a view: source pixel {@code (y + dy·P, x + dx·P)} at
	 * {@code (y, x)}, white where it does not exist, then mirrored if the view flips.
	 */
	private void shiftPlane(float[] source, int from, float[] target, int to, int height, int width, TtaView view,
			float white) {
		int dy = view.dy() * this.patchSize;
		int dx = view.dx() * this.patchSize;
		Arrays.fill(target, to, to + height * width, white);
		int columnsFrom = Math.max(0, -dx);
		int columnsTo = Math.min(width, width - dx);
		for (int y = Math.max(0, -dy); y < Math.min(height, height - dy); y++) {
			int sourceRow = from + (y + dy) * width + dx;
			int targetRow = to + y * width;
			if (view.flip()) {
				// shifted (y, x) lands at (y, W-1-x)
				for (int x = columnsFrom; x < columnsTo; x++) {
					target[targetRow + width - 1 - x] = source[sourceRow + x];
				}
			}
			else if (columnsTo > columnsFrom) {
				System.arraycopy(source, sourceRow + columnsFrom, target, targetRow + columnsFrom,
						columnsTo - columnsFrom);
			}
		}
	}

	/**
	 * Averages per-view features {@code (V, N, D)} back in the original frame,
	 * {@code (N, D)}. View 0 is the identity, so every patch is covered at least once.
	 */
	public NDArray recover(NDArray viewFeatures, TtaPlan plan, int gridHeight, int gridWidth) {
		return recover(viewFeatures, List.of(plan), gridHeight, gridWidth).get(0);
	}

	/**
	 * Averages the features {@code (ΣV, N, D)} of every image's views back in the
	 * original frames, {@code (B, N, D)}: one gather puts each original patch's view
	 * features side by side (a zero row where a view does not show it), one sum adds them
	 * and one division by the coverage count averages them.
	 */
	NDArray recover(NDArray viewFeatures, List<TtaPlan> plans, int gridHeight, int gridWidth) {
		return recoverRows(new NDList(viewFeatures.reshape(-1, viewFeatures.getShape().get(2))), plans, gridHeight,
				gridWidth);
	}

	/**
	 * {@link #recover} for the view features given as consecutive blocks of rows
	 * {@code (V·N, D)}, image-major, as the teacher passes produce them: joined once,
	 * together with the zero row the gather needs.
	 */
	private static NDArray recoverRows(NDList viewRows, List<TtaPlan> plans, int gridHeight, int gridWidth) {
		NDManager manager = viewRows.head().getManager();
		int patches = gridHeight * gridWidth;
		long dim = viewRows.head().getShape().get(1);
		int mostViews = plans.stream().mapToInt(TtaPlan::size).max().orElse(0);
		long rows = viewRows.stream().mapToLong((block) -> block.getShape().get(0)).sum();
		long[] gather = new long[plans.size() * mostViews * patches];
		// the appended zero row
		Arrays.fill(gather, rows);
		float[] coverage = new float[plans.size() * patches];
		int firstView = 0;
		for (int b = 0; b < plans.size(); b++) {
			List<TtaView> views = plans.get(b).views();
			for (int v = 0; v < views.size(); v++) {
				int[][][] shown = shownPatches(views.get(v), gridHeight, gridWidth);
				for (int r = 0; r < gridHeight; r++) {
					for (int c = 0; c < gridWidth; c++) {
						if (shown[0][r][c] >= 0) {
							int original = shown[0][r][c] * gridWidth + shown[1][r][c];
							gather[(b * mostViews + v) * patches + original] = (long) (firstView + v) * patches
									+ r * gridWidth + c;
							coverage[b * patches + original]++;
						}
					}
				}
			}
			firstView += views.size();
		}
		NDList blocks = new NDList(viewRows);
		blocks.add(manager.zeros(new Shape(1, dim)));
		NDArray flat = NDArrays.concat(blocks);
		// (B·V·N, D) -> (B, V, N, D), summed over the views
		NDArray summed = flat.get(manager.create(gather))
			.reshape(plans.size(), mostViews, patches, dim)
			.sum(new int[] { 1 });
		return summed.div(manager.create(coverage, new Shape(plans.size(), patches, 1)));
	}

	/**
	 * Each view's features moved to the original patches they show {@code (V, N, D)},
	 * zero where a view shows none, and the coverage {@code (V, N)}: 1 where it shows
	 * one.
	 */
	public Recovery recoverViews(NDArray viewFeatures, TtaPlan plan, int gridHeight, int gridWidth) {
		NDManager manager = viewFeatures.getManager();
		int patches = gridHeight * gridWidth;
		NDList features = new NDList();
		NDList coverage = new NDList();
		for (int v = 0; v < plan.size(); v++) {
			int[][][] shown = shownPatches(plan.views().get(v), gridHeight, gridWidth);
			long[] source = new long[patches];
			float[] covered = new float[patches];
			for (int r = 0; r < gridHeight; r++) {
				for (int c = 0; c < gridWidth; c++) {
					if (shown[0][r][c] >= 0) {
						int original = shown[0][r][c] * gridWidth + shown[1][r][c];
						source[original] = (long) r * gridWidth + c;
						covered[original] = 1;
					}
				}
			}
			NDArray mask = manager.create(covered);
			// (N, D) gathered by view position, zeroed where the original patch is not
			// shown
			NDArray gathered = viewFeatures.get(v).get(manager.create(source)).mul(mask.expandDims(1));
			features.add(gathered);
			coverage.add(mask);
		}
		return new Recovery(NDArrays.stack(features), NDArrays.stack(coverage));
	}

	/**
	 * The original patch shown at each position of a view, {@code [2][h][w]} (row,
	 * column), -1 where the view shows white fill: the patch grid shifted and mirrored
	 * like the pixels.
	 */
	public static int[][][] shownPatches(TtaView view, int gridHeight, int gridWidth) {
		int[][][] shown = new int[2][gridHeight][gridWidth];
		for (int r = 0; r < gridHeight; r++) {
			for (int c = 0; c < gridWidth; c++) {
				int column = view.flip() ? gridWidth - 1 - c : c;
				int sourceRow = r + view.dy();
				int sourceColumn = column + view.dx();
				boolean inside = sourceRow >= 0 && sourceRow < gridHeight && sourceColumn >= 0
						&& sourceColumn < gridWidth;
				shown[0][r][c] = inside ? sourceRow : -1;
				shown[1][r][c] = inside ? sourceColumn : -1;
			}
		}
		return shown;
	}

	/** View {@code view} of image {@code image} of the batch. */
	private record ImageView(int image, TtaView view) {
	}

	/**
	 * The pixels of one teacher pass's views, in memory reused from pass to pass and step
	 * to step: on these VMs the first write to freshly allocated memory costs more than
	 * building the views (120-230 ms for 24 MB), and a chunk-sized buffer also stays in
	 * cache. The engine reads the direct buffer in place; the array made from it lives
	 * only for its pass, so the next pass may overwrite it.
	 */
	private final class ViewBuffer {

		private float[] pixels = new float[0];

		private ByteBuffer direct = ByteBuffer.allocateDirect(0);

		NDArray fill(List<ImageView> views, float[] source, Shape images, NDManager manager) {
			int length = views.size() * 3 * planeOf(images);
			if (this.pixels.length < length) {
				this.pixels = new float[length];
				this.direct = ByteBuffer.allocateDirect(length * Float.BYTES).order(ByteOrder.nativeOrder());
			}
			writeViews(views, source, images, this.pixels);
			this.direct.clear().limit(length * Float.BYTES);
			this.direct.asFloatBuffer().put(this.pixels, 0, length);
			return manager.create(this.direct, new Shape(views.size(), 3, images.get(2), images.get(3)),
					DataType.FLOAT32);
		}

	}

	/**
	 * @param features per-view features in the original frame {@code (V, N, D)}
	 * @param coverage 1 where a view shows the patch {@code (V, N)}
	 */
	public record Recovery(NDArray features, NDArray coverage) {
	}

}
