package ai.phreg.job;

import java.util.List;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;

/**
 * A job with everything the spec left open decided: written once by {@code prepare}, read
 * by the later steps and shown in the job's view and report, so no step resolves anything
 * again.
 *
 * @param family the teacher's checkpoint family
 * @param config the teacher's architecture
 * @param normalization the teacher's pixel normalization
 * @param settings the run's settings, family defaults and the exact step count included;
 * null for an analyze job
 * @param trainingImages images the run trains on, none for an analyze job
 * @param evaluationImages images held out for the evaluation, the split drawn from the
 * settings' seed; for an analyze job the first images of the source, which it measures
 * and pictures
 * @param exportFormats the formats the student is exported as
 * @param analysis what an analyze job does, null for a distillation
 */
public record ResolvedJob(CheckpointFormat family, ViTConfig config, Normalization normalization,
		DistillSettings settings, int trainingImages, int evaluationImages, List<CheckpointFormat> exportFormats,
		AnalysisSettings analysis) {

	public ResolvedJob {
		exportFormats = List.copyOf(exportFormats);
	}

	/**
	 * Resolves {@code spec} for a teacher and a source of {@code images} images.
	 * @throws IllegalArgumentException when the spec cannot run on them
	 */
	static ResolvedJob of(DistillSpec spec, TeacherDescription teacher, int images) {
		int resolution = (spec.resolution() != null) ? spec.resolution() : teacher.config().imageSize();
		if (spec.isAnalysis()) {
			return analysis(spec, teacher, images, resolution);
		}
		FamilyProfile profile = FamilyProfile.of(teacher.format());
		int heldOut = (spec.evaluationImages() != null) ? spec.evaluationImages() : PaperDefaults.heldOutImages(images);
		int training = images - heldOut;
		if (training < 1) {
			throw new IllegalArgumentException("evaluationImages holds out " + heldOut + " of the " + images
					+ " images; at least one must remain for training");
		}
		double learningRate = (spec.learningRate() != null) ? spec.learningRate() : profile.learningRate();
		double endLearningRate = (spec.endLearningRate() != null) ? spec.endLearningRate()
				: Math.min(learningRate, profile.endLearningRate());
		long steps = (spec.steps() != null) ? spec.steps()
				: DistillSettings.stepsOfEpochs(spec.epochs(), training, spec.batchSize());
		DistillSettings settings = new DistillSettings(spec.registers(), spec.unlock().policy(spec.unlockPatterns()),
				spec.views(), spec.shiftFraction(), resolution, spec.batchSize(), steps, learningRate, endLearningRate,
				spec.weightDecay(), PaperDefaults.MSE_WEIGHT, spec.seed(), spec.targets());
		List<CheckpointFormat> exports = spec.exportFormats().isEmpty() ? List.of(teacher.format())
				: spec.exportFormats();
		return new ResolvedJob(teacher.format(), teacher.config(), teacher.normalization(), settings, training, heldOut,
				exports, null);
	}

	/**
	 * An analyze job measures and pictures the first images, at most
	 * {@link PaperDefaults#HELD_OUT_IMAGES} unless the spec says, and searches the
	 * register neurons on up to all of them.
	 */
	private static ResolvedJob analysis(DistillSpec spec, TeacherDescription teacher, int images, int resolution) {
		int measured = (spec.evaluationImages() != null) ? spec.evaluationImages()
				: Math.min(images, PaperDefaults.HELD_OUT_IMAGES);
		if (measured < 1 || measured > images) {
			throw new IllegalArgumentException(
					"evaluationImages must be 1 to the " + images + " images an analysis has, got " + measured);
		}
		RegisterNeuronSearch search = spec.neuronSearch().search(teacher.format(), teacher.config());
		AnalysisSettings analysis = new AnalysisSettings(resolution, spec.views(), spec.shiftFraction(), spec.seed(),
				search.withImages(Math.min(search.images(), images)), spec.neuronSearch().tokens());
		return new ResolvedJob(teacher.format(), teacher.config(), teacher.normalization(), null, 0, measured,
				List.of(), analysis);
	}

}
