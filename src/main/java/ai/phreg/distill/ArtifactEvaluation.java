package ai.phreg.distill;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

import ai.phreg.imagesource.SkippedImage;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.phreg.image.Normalization;
import ai.phreg.image.Preprocessing;
import ai.phreg.image.RgbImage;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.metrics.ArtifactSummary;
import ai.phreg.metrics.ColourScale;
import ai.phreg.metrics.Panel;
import ai.phreg.metrics.PatchFeatures;
import ai.phreg.metrics.PatchGrid;
import ai.phreg.metrics.Pictures;
import ai.phreg.metrics.PrincipalComponents;
import ai.phreg.metrics.TokenNorms;

/**
 * Teacher against student on held-out images (center crops): artifact figures of both,
 * each against the teacher's denoised features, with the student measured at the
 * teacher's outlier threshold, and pictures of the first few images (input, norm heatmaps
 * on one colour scale, PCA maps in the teacher's basis).
 */
public final class ArtifactEvaluation {

	private static final long VIEWS = 5;

	private static final int PATCH_PIXELS = 12;

	private final Preprocessing preprocessing;

	private final DenoisedTargets denoiser;

	private final int grid;

	private final int views;

	private final double shiftFraction;

	private final long seed;

	public ArtifactEvaluation(int resolution, int patchSize, Normalization normalization, int views,
			double shiftFraction, long seed) {
		this.preprocessing = Preprocessing.square(resolution, normalization);
		this.denoiser = new DenoisedTargets(patchSize, normalization);
		this.grid = resolution / patchSize;
		this.views = views;
		this.shiftFraction = shiftFraction;
		this.seed = seed;
	}

	/**
	 * Evaluates the images {@code indices} of {@code images}; pictures of the first
	 * {@code pictureCount} go to {@code pictureFolder} as {@code <n>-<name>.png}.
	 * {@code stopRequested} is asked before every image: an evaluation of many images
	 * takes minutes, and a stop must not wait for its end.
	 * @throws CancellationException when {@code stopRequested} said so
	 */
	public Result evaluate(DenseFeatures teacher, DenseFeatures student, ImageSource images, List<Integer> indices,
			NDManager manager, Path pictureFolder, int pictureCount, BooleanSupplier stopRequested) throws IOException {
		List<PatchFeatures> teacherFeatures = new ArrayList<>();
		List<PatchFeatures> studentFeatures = new ArrayList<>();
		List<PatchFeatures> targets = new ArrayList<>();
		List<RgbImage> shown = new ArrayList<>();
		List<String> names = new ArrayList<>();
		Map<String, String> skipped = new LinkedHashMap<>();
		for (int index : indices) {
			if (stopRequested.getAsBoolean()) {
				throw new CancellationException("Evaluation stopped by request before image " + images.name(index));
			}
			RgbImage image;
			try {
				image = this.preprocessing.resizeAndCrop(images.read(index));
			}
			catch (IOException ex) {
				skipped.put(images.name(index), SkippedImage.reasonOf(ex));
				continue;
			}
			try (NDManager step = manager.newSubManager()) {
				ParameterStore store = new ParameterStore(step, false);
				NDArray pixels = this.preprocessing.toPixelTensor(step, image);
				TtaPlan plan = TtaPlan.sample(this.grid, this.shiftFraction, this.views,
						Seeds.derive(this.seed, VIEWS, index));
				teacherFeatures.add(features(teacher.of(store, pixels, false)));
				studentFeatures.add(features(student.of(store, pixels, false)));
				targets.add(features(this.denoiser.compute(teacher, store, pixels, List.of(plan))));
			}
			if (shown.size() < pictureCount) {
				shown.add(image);
				names.add(images.name(index));
			}
		}
		if (teacherFeatures.isEmpty()) {
			throw new IOException("None of the " + indices.size() + " evaluation images could be read");
		}
		ArtifactSummary teacherSummary = ArtifactSummary.measure(teacherFeatures, null, targets);
		ArtifactSummary studentSummary = ArtifactSummary.measure(studentFeatures, teacherSummary.threshold(), targets);
		List<Path> pictures = new ArrayList<>();
		if (pictureFolder != null && !shown.isEmpty()) {
			Files.createDirectories(pictureFolder);
			PrincipalComponents basis = PrincipalComponents.fit(teacherFeatures);
			for (int i = 0; i < shown.size(); i++) {
				Path file = pictureFolder.resolve(String.format("%02d-%s.png", i, safeName(names.get(i))));
				Pictures.writePng(picture(shown.get(i), teacherFeatures.get(i), studentFeatures.get(i), basis), file);
				pictures.add(file);
			}
		}
		return new Result(teacherSummary, studentSummary, teacherFeatures, studentFeatures, pictures, skipped);
	}

	private static BufferedImage picture(RgbImage input, PatchFeatures teacher, PatchFeatures student,
			PrincipalComponents basis) {
		PatchGrid teacherNorms = TokenNorms.of(teacher);
		PatchGrid studentNorms = TokenNorms.of(student);
		ColourScale scale = ColourScale.spanning(teacherNorms, studentNorms);
		return Pictures.sideBySide(List.of(new Panel("input", Pictures.fromRgb(input)),
				new Panel("teacher norms", Pictures.heatmap(teacherNorms, scale, PATCH_PIXELS)),
				new Panel("student norms", Pictures.heatmap(studentNorms, scale, PATCH_PIXELS)),
				new Panel("teacher PCA", Pictures.pcaMap(basis, teacher, PATCH_PIXELS)),
				new Panel("student PCA", Pictures.pcaMap(basis, student, PATCH_PIXELS))));
	}

	private static String safeName(String name) {
		return name.replaceAll("[^A-Za-z0-9._-]", "_");
	}

	/** Features {@code (1, N, D)} of one image as the metrics' plain arrays. */
	private PatchFeatures features(NDArray features) {
		return PatchFeatures.of(features.toFloatArray(), this.grid, this.grid);
	}

	/**
	 * @param teacher the teacher's figures; its threshold is the valley of its own norms
	 * @param student the student's figures at the teacher's threshold
	 * @param teacherFeatures the teacher's features per image, for further comparisons
	 * @param studentFeatures the student's features per image
	 * @param pictures the pictures written
	 * @param skipped images that could not be read, by name, with the reason
	 */
	public record Result(ArtifactSummary teacher, ArtifactSummary student, List<PatchFeatures> teacherFeatures,
			List<PatchFeatures> studentFeatures, List<Path> pictures, Map<String, String> skipped) {
	}

}
