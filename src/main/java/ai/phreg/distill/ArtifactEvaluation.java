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
import ai.phreg.metrics.ArtifactMetrics;
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
 * on one colour scale, PCA maps in the teacher's basis). More generally, any
 * {@link Source sources} of dense features compared the same way on the same images
 * ({@link #compare}), such as a teacher against its test-time fixes.
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
		Comparison compared = compare(List.of(Source.plain("teacher", teacher), Source.plain("student", student),
				Source.denoised("targets", teacher)), 2, images, indices, manager, pictureCount, stopRequested);
		List<PatchFeatures> teacherFeatures = compared.features().get(0);
		List<PatchFeatures> studentFeatures = compared.features().get(1);
		List<Path> pictures = new ArrayList<>();
		if (pictureFolder != null && !compared.shown().isEmpty()) {
			Files.createDirectories(pictureFolder);
			PrincipalComponents basis = PrincipalComponents.fit(teacherFeatures);
			for (int i = 0; i < compared.shown().size(); i++) {
				Path file = pictureFolder.resolve(pictureName(i, compared.images().get(i)));
				Pictures.writePng(
						picture(compared.shown().get(i), teacherFeatures.get(i), studentFeatures.get(i), basis), file);
				pictures.add(file);
			}
		}
		return new Result(compared.summaries().get(0), compared.summaries().get(1), teacherFeatures, studentFeatures,
				pictures, compared.skipped());
	}

	/**
	 * Measures each source's features of the images {@code indices} of {@code images}:
	 * every summary at the first source's outlier threshold (the valley of its norms) and
	 * against the features of source {@code reference}, with the seconds each source took
	 * per image (over the images after the first, when there are more). The images of the
	 * first {@code pictureCount} are kept to draw. {@code stopRequested} is asked before
	 * every image.
	 * @throws IOException when none of the images could be read
	 * @throws CancellationException when {@code stopRequested} said so
	 */
	public Comparison compare(List<Source> sources, int reference, ImageSource images, List<Integer> indices,
			NDManager manager, int pictureCount, BooleanSupplier stopRequested) throws IOException {
		List<List<PatchFeatures>> features = new ArrayList<>();
		sources.forEach((source) -> features.add(new ArrayList<>()));
		long[] firstNanos = new long[sources.size()];
		long[] nanos = new long[sources.size()];
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
				for (int s = 0; s < sources.size(); s++) {
					long start = System.nanoTime();
					// read back inside the timing: the pass is done once its values are
					features.get(s).add(features(sources.get(s).of(this.denoiser, store, pixels, plan)));
					long elapsed = System.nanoTime() - start;
					if (names.isEmpty()) {
						firstNanos[s] = elapsed;
					}
					else {
						nanos[s] += elapsed;
					}
				}
			}
			names.add(images.name(index));
			if (shown.size() < pictureCount) {
				shown.add(image);
			}
		}
		if (names.isEmpty()) {
			throw new IOException("None of the " + indices.size() + " evaluation images could be read");
		}
		List<PatchFeatures> targets = features.get(reference);
		ArtifactSummary first = ArtifactSummary.measure(features.get(0), null, targets);
		List<ArtifactSummary> summaries = new ArrayList<>(List.of(first));
		List<Double> seconds = new ArrayList<>();
		List<Integer> passes = new ArrayList<>();
		for (int s = 0; s < sources.size(); s++) {
			if (s > 0) {
				summaries.add(ArtifactSummary.measure(features.get(s), first.threshold(), targets));
			}
			// The first image warms the engine up for whichever source comes first.
			seconds.add((names.size() > 1) ? nanos[s] / 1e9 / (names.size() - 1) : firstNanos[s] / 1e9);
			passes.add(sources.get(s).denoised() ? this.views : 1);
		}
		return new Comparison(sources.stream().map(Source::name).toList(), names, summaries, passes, seconds, features,
				shown, skipped);
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

	private static String pictureName(int position, String image) {
		return String.format("%02d-%s.png", position, image.replaceAll("[^A-Za-z0-9._-]", "_"));
	}

	/** Features {@code (1, N, D)} of one image as the metrics' plain arrays. */
	private PatchFeatures features(NDArray features) {
		return PatchFeatures.of(features.toFloatArray(), this.grid, this.grid);
	}

	/**
	 * Where the compared features of an image come from.
	 *
	 * @param name how figures and pictures name the source
	 * @param features the network's dense features
	 * @param denoised whether they are denoised over the test-time views (the paper's
	 * targets) rather than of one pass
	 */
	public record Source(String name, DenseFeatures features, boolean denoised) {

		/** One pass per image. */
		public static Source plain(String name, DenseFeatures features) {
			return new Source(name, features, false);
		}

		/** The views of each image, aligned back and averaged. */
		public static Source denoised(String name, DenseFeatures features) {
			return new Source(name, features, true);
		}

		NDArray of(DenoisedTargets denoiser, ParameterStore store, NDArray pixels, TtaPlan plan) {
			return this.denoised ? denoiser.compute(this.features, store, pixels, List.of(plan))
					: this.features.of(store, pixels, false);
		}

	}

	/**
	 * Sources compared on the same images, each list in the order of the sources.
	 *
	 * @param sources the sources' names
	 * @param images the images measured, by name
	 * @param summaries each source's figures
	 * @param passesPerImage each source's network passes per image
	 * @param secondsPerImage each source's wall time per image, after the first image
	 * when there are more
	 * @param features each source's features per image
	 * @param shown the first images measured, as cropped, to draw
	 * @param skipped images that could not be read, by name, with the reason
	 */
	public record Comparison(List<String> sources, List<String> images, List<ArtifactSummary> summaries,
			List<Integer> passesPerImage, List<Double> secondsPerImage, List<List<PatchFeatures>> features,
			List<RgbImage> shown, Map<String, String> skipped) {

		/**
		 * Draws each shown image beside every source's norm map, all maps on one colour
		 * scale, into {@code folder} as {@code <n>-<name>.png}.
		 */
		public List<NormPicture> writeNormPictures(Path folder) throws IOException {
			Files.createDirectories(folder);
			List<NormPicture> pictures = new ArrayList<>();
			for (int i = 0; i < this.shown.size(); i++) {
				List<PatchGrid> norms = new ArrayList<>();
				for (List<PatchFeatures> source : this.features) {
					norms.add(TokenNorms.of(source.get(i)));
				}
				ColourScale scale = ColourScale.spanning(norms.toArray(PatchGrid[]::new));
				List<Panel> panels = new ArrayList<>(List.of(new Panel("input", Pictures.fromRgb(this.shown.get(i)))));
				Map<String, Double> maxNorms = new LinkedHashMap<>();
				for (int s = 0; s < norms.size(); s++) {
					panels.add(new Panel(this.sources.get(s), Pictures.heatmap(norms.get(s), scale, PATCH_PIXELS)));
					maxNorms.put(this.sources.get(s), (double) ArtifactMetrics.max(norms.get(s).values()));
				}
				Path file = folder.resolve(pictureName(i, this.images.get(i)));
				Pictures.writePng(Pictures.sideBySide(panels), file);
				pictures.add(new NormPicture(this.images.get(i), file, scale, maxNorms));
			}
			return pictures;
		}

	}

	/**
	 * One image's norm maps side by side.
	 *
	 * @param image the image's name
	 * @param file the picture
	 * @param scale the colour scale of every map
	 * @param maxNorms each source's largest patch-token norm on the image, by name
	 */
	public record NormPicture(String image, Path file, ColourScale scale, Map<String, Double> maxNorms) {
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
