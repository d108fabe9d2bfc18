package ai.phreg.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.phreg.Fixtures;
import ai.phreg.image.ImageLoader;
import ai.phreg.image.Normalization;
import ai.phreg.image.Preprocessing;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks on the 36 bundled photos (center crop at the native 224 px) that the demo
 * teacher behaves like a ViT with register artifacts and the ground truth does not.
 * <p>
 * <b>Outlier</b> throughout: a patch token whose norm after the final LayerNorm exceeds
 * {@value #OUTLIER_FACTOR} times the median patch-token norm of the same model over all
 * photos (for shifted views, the teacher's median on the unshifted photos).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoTeacherTests {

	private static final float OUTLIER_FACTOR = 4;

	private static final int BATCH = 8;

	private static final ViTConfig CONFIG = DemoTeacher.config();

	private static final int SIZE = CONFIG.imageSize();

	private static final int PATCH = CONFIG.patchSize();

	private static final int GRID = CONFIG.gridSize();

	private static final int TOKENS = GRID * GRID;

	private static final int DIM = CONFIG.embedDim();

	private NDManager manager;

	private DemoModels models;

	private List<float[]> photos;

	private float[] teacherTokens;

	private float[] groundTruthTokens;

	private float[] teacherNorms;

	private float teacherThreshold;

	@BeforeAll
	void runBothModelsOnThePhotos() throws IOException {
		Preprocessing preprocessing = Preprocessing.square(SIZE, Normalization.IMAGENET);
		this.photos = new ArrayList<>();
		try (Stream<Path> files = Files.list(Fixtures.photos())) {
			for (Path file : files.filter((f) -> f.toString().endsWith(".jpg")).sorted().toList()) {
				this.photos.add(preprocessing.apply(ImageLoader.read(file)));
			}
		}
		assertThat(this.photos).hasSize(36);
		this.manager = NDManager.newBaseManager();
		this.models = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, this.manager);
		this.teacherTokens = patchTokens(this.models.teacher(), this.photos);
		this.groundTruthTokens = patchTokens(this.models.groundTruth(), this.photos);
		this.teacherNorms = norms(this.teacherTokens);
		this.teacherThreshold = OUTLIER_FACTOR * median(this.teacherNorms);
	}

	@AfterAll
	void closeManager() {
		this.manager.close();
	}

	@Test
	void sameSeedGivesBitIdenticalParametersAndAnotherSeedDiffers() {
		try (NDManager local = NDManager.newBaseManager()) {
			DemoModels again = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, local);
			DemoModels other = DemoTeacher.create(DemoTeacher.DEFAULT_SEED + 1, local);
			Map<String, float[]> teacher = values(this.models.teacher());
			assertThat(values(again.teacher())).allSatisfy((name, v) -> assertThat(v).isEqualTo(teacher.get(name)));
			Map<String, float[]> groundTruth = values(this.models.groundTruth());
			assertThat(values(again.groundTruth()))
				.allSatisfy((name, v) -> assertThat(v).isEqualTo(groundTruth.get(name)));
			assertThat(values(other.teacher()))
				.allSatisfy((name, v) -> assertThat(v).as(name).isNotEqualTo(teacher.get(name)));
			assertThat(other.planting().hotspots()).isNotEqualTo(this.models.planting().hotspots());
		}
	}

	@Test
	void groundTruthDiffersFromTeacherOnlyInThePlantedColumns() {
		Map<String, float[]> teacher = values(this.models.teacher());
		Map<String, float[]> groundTruth = values(this.models.groundTruth());
		ArtifactPlanting planting = this.models.planting();
		String fc2 = "blocks." + planting.block() + ".mlp.fc2.weight";
		teacher.forEach((name, v) -> {
			if (!name.equals(fc2)) {
				assertThat(groundTruth.get(name)).as(name).isEqualTo(v);
			}
		});
		int hidden = CONFIG.mlpHiddenDim();
		List<Integer> planted = Arrays.stream(planting.neurons()).boxed().toList();
		float[] withNeurons = teacher.get(fc2);
		float[] without = groundTruth.get(fc2);
		for (int i = 0; i < withNeurons.length; i++) {
			boolean plantedColumn = planted.contains(i % hidden);
			assertThat(without[i]).isEqualTo(plantedColumn ? 0f : withNeurons[i]);
		}
	}

	@Test
	void teacherNormsAreBimodalAndGroundTruthNormsAreNot() {
		float teacherMedian = median(this.teacherNorms);
		float[] outlierNorms = select(this.teacherNorms, (norm) -> norm > this.teacherThreshold);
		float[] gap = select(this.teacherNorms, (norm) -> norm > 2 * teacherMedian && norm <= this.teacherThreshold);
		float[] groundTruthNorms = norms(this.groundTruthTokens);
		float groundTruthMedian = median(groundTruthNorms);
		float[] groundTruthOutliers = select(groundTruthNorms, (norm) -> norm > OUTLIER_FACTOR * groundTruthMedian);
		double teacherFraction = outlierNorms.length / (double) this.teacherNorms.length;
		double groundTruthFraction = groundTruthOutliers.length / (double) groundTruthNorms.length;
		System.out.printf(
				"Demo teacher on %d photos: outlier fraction %.2f%% (ground truth %.2f%%), median norm %.1f "
						+ "(ground truth %.1f, 5th-95th percentile %.1f-%.1f), median outlier norm %.1f (%.1fx)%n",
				this.photos.size(), 100 * teacherFraction, 100 * groundTruthFraction, teacherMedian, groundTruthMedian,
				percentile(groundTruthNorms, 0.05), percentile(groundTruthNorms, 0.95), median(outlierNorms),
				median(outlierNorms) / teacherMedian);

		assertThat(teacherFraction).isBetween(0.02, 0.06);
		assertThat(median(outlierNorms)).isGreaterThan(6 * teacherMedian);
		// Bimodal: few tokens between the ordinary mode and the outliers.
		assertThat(gap.length).isLessThan(outlierNorms.length / 5);
		assertThat(groundTruthFraction).isLessThan(0.005);
		assertThat(percentile(groundTruthNorms, 0.99)).isLessThan(2 * groundTruthMedian);
	}

	@Test
	void outliersSitOnFlatPatches() {
		double all = 0;
		double outliers = 0;
		int count = 0;
		for (int i = 0; i < this.photos.size(); i++) {
			for (int t = 0; t < TOKENS; t++) {
				double deviation = patchDeviation(this.photos.get(i), t / GRID, t % GRID);
				all += deviation;
				if (this.teacherNorms[i * TOKENS + t] > this.teacherThreshold) {
					outliers += deviation;
					count++;
				}
			}
		}
		assertThat(outliers / count).isLessThan(0.5 * all / (this.photos.size() * TOKENS));
	}

	@Test
	void outliersConcentrateAroundThePlantedHotspots() {
		int[] perCell = new int[TOKENS];
		int outliers = 0;
		for (int i = 0; i < this.teacherNorms.length; i++) {
			if (this.teacherNorms[i] > this.teacherThreshold) {
				perCell[i % TOKENS]++;
				outliers++;
				assertThat(nearHotspot(i % TOKENS)).as("outlier at cell %d", i % TOKENS).isTrue();
			}
		}
		int[] sorted = Arrays.stream(perCell).sorted().toArray();
		int topSixteenth = Arrays.stream(sorted, TOKENS - TOKENS / 16, TOKENS).sum();
		assertThat(topSixteenth).isGreaterThan(outliers / 2);
	}

	/**
	 * Shifts the content by whole patches with white fill, as PH-Reg's views do: the
	 * outliers of a view mostly stay on the cells where the unshifted photo had them
	 * instead of following the content to its new cells.
	 */
	@Test
	void outliersStayOnTheGridWhenTheContentShifts() {
		int[][] shifts = { { 2, 2 }, { -2, 2 }, { 2, -2 }, { -2, -2 }, { 0, 3 } };
		int stayed = 0;
		int followed = 0;
		int nearHotspots = 0;
		int outliers = 0;
		for (int[] shift : shifts) {
			List<float[]> views = this.photos.stream().map((p) -> shiftByPatches(p, shift[0], shift[1])).toList();
			float[] viewNorms = norms(patchTokens(this.models.teacher(), views));
			for (int i = 0; i < this.photos.size(); i++) {
				for (int t = 0; t < TOKENS; t++) {
					if (viewNorms[i * TOKENS + t] <= this.teacherThreshold) {
						continue;
					}
					outliers++;
					nearHotspots += nearHotspot(t) ? 1 : 0;
					stayed += isTeacherOutlier(i, t / GRID, t % GRID) ? 1 : 0;
					// The view's cell (r, c) shows the photo's cell (r + dy, c + dx).
					followed += isTeacherOutlier(i, t / GRID + shift[0], t % GRID + shift[1]) ? 1 : 0;
				}
			}
		}
		System.out.printf("Shifted views: %d outliers, %.1f%% on a cell where the photo had one, %.1f%% where "
				+ "their content had one%n", outliers, 100.0 * stayed / outliers, 100.0 * followed / outliers);
		assertThat(outliers).isGreaterThan(0);
		assertThat(nearHotspots).isEqualTo(outliers);
		assertThat(stayed).isGreaterThan(3 * followed);
	}

	@Test
	void teacherAndGroundTruthAgreeExceptOnOutliers() {
		double ordinary = 0;
		double outlier = 0;
		int outliers = 0;
		for (int i = 0; i < this.teacherNorms.length; i++) {
			double cosine = cosine(this.teacherTokens, this.groundTruthTokens, i);
			if (this.teacherNorms[i] > this.teacherThreshold) {
				outlier += cosine;
				outliers++;
			}
			else {
				ordinary += cosine;
			}
		}
		double ordinaryMean = ordinary / (this.teacherNorms.length - outliers);
		double outlierMean = outlier / outliers;
		System.out.printf("Teacher vs ground truth: mean cosine %.4f on ordinary tokens, %.4f on outliers%n",
				ordinaryMean, outlierMean);
		assertThat(ordinaryMean).isGreaterThan(0.9);
		assertThat(outlierMean).isLessThan(0.5);
	}

	@Test
	void runsABatchAtTheNativeSizeAndPrintsItsTime() {
		List<float[]> batch = this.photos.subList(0, BATCH);
		long[] nanos = new long[7];
		for (int run = 0; run < nanos.length; run++) {
			try (NDManager step = this.manager.newSubManager()) {
				NDArray pixels = pixels(step, batch);
				long start = System.nanoTime();
				NDArray tokens = this.models.teacher()
					.forward(new ParameterStore(step, false), pixels, false, false)
					.patchTokens();
				tokens.toFloatArray();
				nanos[run] = System.nanoTime() - start;
				assertThat(tokens.getShape()).isEqualTo(new Shape(BATCH, TOKENS, DIM));
			}
		}
		Arrays.sort(nanos);
		System.out.printf("Demo teacher forward, batch %d at %d px: median %.0f ms (fastest %.0f ms) of %d runs%n",
				BATCH, SIZE, nanos[nanos.length / 2] / 1e6, nanos[0] / 1e6, nanos.length);
	}

	private boolean isTeacherOutlier(int image, int row, int col) {
		return row >= 0 && row < GRID && col >= 0 && col < GRID
				&& this.teacherNorms[image * TOKENS + row * GRID + col] > this.teacherThreshold;
	}

	/** Within the 5×5 cells around a hotspot, the reach of its position code. */
	private boolean nearHotspot(int cell) {
		return this.models.planting()
			.hotspots()
			.stream()
			.anyMatch((h) -> Math.abs(h.row() - cell / GRID) <= 2 && Math.abs(h.col() - cell % GRID) <= 2);
	}

	/** Row-major patch tokens {@code [image][token][channel]} of a model over images. */
	private float[] patchTokens(VisionTransformer model, List<float[]> images) {
		float[] tokens = new float[images.size() * TOKENS * DIM];
		for (int start = 0; start < images.size(); start += BATCH) {
			List<float[]> batch = images.subList(start, Math.min(start + BATCH, images.size()));
			try (NDManager step = this.manager.newSubManager()) {
				float[] out = model.forward(new ParameterStore(step, false), pixels(step, batch), false, false)
					.patchTokens()
					.toFloatArray();
				System.arraycopy(out, 0, tokens, start * TOKENS * DIM, out.length);
			}
		}
		return tokens;
	}

	private static NDArray pixels(NDManager step, List<float[]> images) {
		int length = 3 * SIZE * SIZE;
		float[] pixels = new float[images.size() * length];
		for (int i = 0; i < images.size(); i++) {
			System.arraycopy(images.get(i), 0, pixels, i * length, length);
		}
		return step.create(pixels, new Shape(images.size(), 3, SIZE, SIZE));
	}

	/**
	 * PH-Reg's shift: {@code out[y][x] = in[y + dy·P][x + dx·P]}, white where that pixel
	 * does not exist.
	 */
	private static float[] shiftByPatches(float[] chw, int dy, int dx) {
		float[] mean = Normalization.IMAGENET.mean();
		float[] std = Normalization.IMAGENET.std();
		float[] out = new float[chw.length];
		for (int c = 0; c < 3; c++) {
			float white = (1 - mean[c]) / std[c];
			for (int y = 0; y < SIZE; y++) {
				for (int x = 0; x < SIZE; x++) {
					int sy = y + dy * PATCH;
					int sx = x + dx * PATCH;
					boolean inside = sy >= 0 && sy < SIZE && sx >= 0 && sx < SIZE;
					out[(c * SIZE + y) * SIZE + x] = inside ? chw[(c * SIZE + sy) * SIZE + sx] : white;
				}
			}
		}
		return out;
	}

	/** The pixel standard deviation inside one patch, averaged over the channels. */
	private static double patchDeviation(float[] chw, int row, int col) {
		double total = 0;
		for (int c = 0; c < 3; c++) {
			double sum = 0;
			double squares = 0;
			for (int y = row * PATCH; y < (row + 1) * PATCH; y++) {
				for (int x = col * PATCH; x < (col + 1) * PATCH; x++) {
					float v = chw[(c * SIZE + y) * SIZE + x];
					sum += v;
					squares += v * v;
				}
			}
			int n = PATCH * PATCH;
			total += Math.sqrt(Math.max(0, squares / n - (sum / n) * (sum / n)));
		}
		return total / 3;
	}

	private static float[] norms(float[] tokens) {
		float[] norms = new float[tokens.length / DIM];
		for (int i = 0; i < norms.length; i++) {
			double squares = 0;
			for (int d = 0; d < DIM; d++) {
				squares += tokens[i * DIM + d] * tokens[i * DIM + d];
			}
			norms[i] = (float) Math.sqrt(squares);
		}
		return norms;
	}

	private static double cosine(float[] a, float[] b, int token) {
		double dot = 0;
		double aa = 0;
		double bb = 0;
		for (int d = token * DIM; d < (token + 1) * DIM; d++) {
			dot += a[d] * b[d];
			aa += a[d] * a[d];
			bb += b[d] * b[d];
		}
		return dot / Math.sqrt(aa * bb);
	}

	private static float[] select(float[] values, DoublePredicate keep) {
		float[] kept = new float[values.length];
		int count = 0;
		for (float v : values) {
			if (keep.test(v)) {
				kept[count++] = v;
			}
		}
		return Arrays.copyOf(kept, count);
	}

	private static float median(float[] values) {
		return percentile(values, 0.5);
	}

	private static float percentile(float[] values, double quantile) {
		float[] sorted = values.clone();
		Arrays.sort(sorted);
		return sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))];
	}

	private static Map<String, float[]> values(VisionTransformer model) {
		Map<String, float[]> values = new LinkedHashMap<>();
		for (Pair<String, Parameter> parameter : model.getParameters()) {
			values.put(parameter.getKey(), parameter.getValue().getArray().toFloatArray());
		}
		return values;
	}

}
