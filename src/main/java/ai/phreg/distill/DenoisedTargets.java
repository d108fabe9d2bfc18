package ai.phreg.distill;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
		NDList views = new NDList();
		for (int i = 0; i < batch; i++) {
			views.add(augment(images.get(i), plans.get(i)));
		}
		// (B*V, 3, H, W), image-major
		NDArray allViews = NDArrays.concat(views);
		mark = times.record(StepPhase.TEACHER_AUGMENT, mark);
		NDArray features = forward(teacher, store, allViews, chunk);
		mark = times.record(StepPhase.TEACHER_FORWARD, mark);
		NDList targets = new NDList();
		long offset = 0;
		for (int i = 0; i < batch; i++) {
			int count = plans.get(i).size();
			NDArray own = features.get(new NDIndex("{}:{}", offset, offset + count));
			targets.add(recover(own, plans.get(i), gridHeight, gridWidth).expandDims(0));
			offset += count;
		}
		NDArray result = NDArrays.concat(targets);
		times.record(StepPhase.TEACHER_RECOVER, mark);
		return result;
	}

	/**
	 * The teacher's features of {@code views}, {@code chunk} at a time. Each chunk's
	 * intermediates live in their own manager and are freed before the next chunk, so the
	 * next one reuses the same memory.
	 */
	private static NDArray forward(DenseFeatures teacher, ParameterStore store, NDArray views, int chunk) {
		long count = views.getShape().get(0);
		if (chunk == 0 || chunk >= count) {
			return teacher.of(store, views, false);
		}
		NDManager owner = views.getManager();
		NDList parts = new NDList();
		for (long from = 0; from < count; from += chunk) {
			try (NDManager pass = owner.newSubManager()) {
				NDArray slice = views.get(new NDIndex("{}:{}", from, Math.min(count, from + chunk)));
				slice.attach(pass);
				NDArray features = teacher.of(store, slice, false);
				features.attach(owner);
				parts.add(features);
			}
		}
		return NDArrays.concat(parts);
	}

	/** The views {@code (V, 3, H, W)} of one image {@code (3, H, W)}. */
	public NDArray augment(NDArray image, TtaPlan plan) {
		NDManager manager = image.getManager();
		// (3,) -> (3, 1, 1), broadcast over the image
		NDArray white = manager.create(this.whitePixel).reshape(3, 1, 1);
		long height = image.getShape().get(1);
		long width = image.getShape().get(2);
		NDList views = new NDList();
		for (TtaView view : plan.views()) {
			NDArray shifted = image.zerosLike().add(white);
			Window rows = Window.of(view.dy() * (long) this.patchSize, height);
			Window columns = Window.of(view.dx() * (long) this.patchSize, width);
			if (!rows.isEmpty() && !columns.isEmpty()) {
				shifted.set(
						new NDIndex(":, {}:{}, {}:{}", rows.to, rows.to + rows.length, columns.to,
								columns.to + columns.length),
						image.get(new NDIndex(":, {}:{}, {}:{}", rows.from, rows.from + rows.length, columns.from,
								columns.from + columns.length)));
			}
			views.add(view.flip() ? shifted.flip(2) : shifted);
		}
		return NDArrays.stack(views);
	}

	/**
	 * Averages per-view features {@code (V, N, D)} back in the original frame,
	 * {@code (N, D)}. View 0 is the identity, so every patch is covered at least once.
	 */
	public NDArray recover(NDArray viewFeatures, TtaPlan plan, int gridHeight, int gridWidth) {
		Recovery recovery = recoverViews(viewFeatures, plan, gridHeight, gridWidth);
		// (V, N, D) summed over views / (N, 1) coverage
		return recovery.features().sum(new int[] { 0 }).div(recovery.coverage().sum(new int[] { 0 }).expandDims(1));
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

	/**
	 * @param features per-view features in the original frame {@code (V, N, D)}
	 * @param coverage 1 where a view shows the patch {@code (V, N)}
	 */
	public record Recovery(NDArray features, NDArray coverage) {
	}

	/**
	 * The overlap of a shift by {@code offset} along an axis of {@code size}: source
	 * positions {@code from..from+length} land at {@code to..to+length}, since a view
	 * shows source {@code x + offset} at {@code x}.
	 */
	private record Window(long from, long to, long length) {

		static Window of(long offset, long size) {
			long from = Math.max(0, offset);
			long to = Math.max(0, -offset);
			return new Window(from, to, Math.max(0, size - Math.abs(offset)));
		}

		boolean isEmpty() {
			return this.length == 0;
		}

	}

}
