package ai.phreg.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.phreg.distill.ArtifactEvaluation;
import ai.phreg.distill.DenseFeatures;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.Distiller;
import ai.phreg.distill.ExecutionSettings;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.imagesource.ImageSubset;
import ai.phreg.distill.ProgressListener;
import ai.phreg.distill.Training;
import ai.phreg.image.Normalization;
import ai.phreg.metrics.ArtifactMetrics;
import ai.phreg.metrics.ArtifactSummary;
import ai.phreg.metrics.PatchFeatures;

/**
 * PH-Reg on the synthetic demo teacher, where the truth is known: the same network
 * without its planted artifact neurons. Trains a student on the given images, then
 * measures teacher and student on held-out center crops: outlier fractions at the
 * teacher's threshold and how close each comes to the ground truth.
 */
public final class DemoEfficacy {

	/**
	 * The final learning rate of the benchmark's short runs; not the paper's: the paper's
	 * {@code endLearningRate} (see {@code FamilyProfile}) assumes a full-length run, and
	 * a run of a few epochs that decays to it stops learning before the artifacts are
	 * gone.
	 */
	public static final double SHORT_RUN_END_LEARNING_RATE = 5e-5;

	private DemoEfficacy() {
	}

	/**
	 * Runs the whole experiment: trains on all but {@code heldOut} images, measures on
	 * those; {@code pictureFolder} (nullable) receives before/after pictures.
	 */
	public static Result run(DistillSettings settings, long demoSeed, ImageSource images, int heldOut,
			ProgressListener listener, Path pictureFolder, NDManager manager) throws IOException {
		return run(settings, ExecutionSettings.DEFAULT, demoSeed, images, heldOut, listener, pictureFolder, manager);
	}

	/**
	 * The same with a chosen execution, such as a target cache, whose effect on the
	 * figures is then measured.
	 */
	public static Result run(DistillSettings settings, ExecutionSettings execution, long demoSeed, ImageSource images,
			int heldOut, ProgressListener listener, Path pictureFolder, NDManager manager) throws IOException {
		DemoModels models = DemoTeacher.create(demoSeed, manager);
		ImageSubset.Split split = ImageSubset.split(images, heldOut, settings.seed());
		ImageSubset evaluation = split.evaluation();
		long started = System.nanoTime();
		try (Training training = Training.of(models.asTeacher(), split.training(), settings)
			.execution(execution)
			.listener(listener)
			.start(manager)) {
			training.trainToEnd();
			Distiller distiller = training.distiller();
			double trainSeconds = (System.nanoTime() - started) / 1e9;
			ArtifactEvaluation evaluator = new ArtifactEvaluation(settings.resolution(),
					models.teacher().config().patchSize(), Normalization.IMAGENET, settings.views(),
					settings.shiftFraction(), settings.seed());
			ArtifactEvaluation.Result result = evaluator.evaluate(DenseFeatures.patchTokens(models.teacher()),
					DenseFeatures.patchTokens(distiller.student()), evaluation, evaluation.all(), manager,
					pictureFolder, 4, () -> false);
			ArtifactEvaluation.Result truth = evaluator.evaluate(DenseFeatures.patchTokens(models.teacher()),
					DenseFeatures.patchTokens(models.groundTruth()), evaluation, evaluation.all(), manager, null, 0,
					() -> false);
			return new Result(result.teacher(), result.student(),
					meanCosine(result.teacherFeatures(), truth.studentFeatures()),
					meanCosine(result.studentFeatures(), truth.studentFeatures()), distiller.globalStep(), trainSeconds,
					result.pictures());
		}
	}

	private static double meanCosine(List<PatchFeatures> features, List<PatchFeatures> truth) {
		double sum = 0;
		long count = 0;
		for (int i = 0; i < features.size(); i++) {
			for (float cosine : ArtifactMetrics.cosineToTarget(features.get(i), truth.get(i))) {
				sum += cosine;
				count++;
			}
		}
		return sum / count;
	}

	/**
	 * @param teacher the teacher's artifact figures
	 * @param student the student's, at the teacher's threshold
	 * @param teacherToTruth mean cosine of the teacher's patch features to the ground
	 * truth's
	 * @param studentToTruth the same for the student
	 * @param steps optimizer steps run
	 * @param trainSeconds wall time of the training
	 * @param pictures before/after pictures written
	 */
	public record Result(ArtifactSummary teacher, ArtifactSummary student, double teacherToTruth, double studentToTruth,
			long steps, double trainSeconds, List<Path> pictures) {
	}

}
