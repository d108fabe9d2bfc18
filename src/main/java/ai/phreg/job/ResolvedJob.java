package ai.phreg.job;

import java.util.List;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.PaperDefaults;
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
 * @param settings the run's settings, family defaults and the exact step count included
 * @param trainingImages images the run trains on
 * @param evaluationImages images held out for the evaluation; the split is drawn from the
 * settings' seed
 * @param exportFormats the formats the student is exported as
 */
public record ResolvedJob(CheckpointFormat family, ViTConfig config, Normalization normalization,
		DistillSettings settings, int trainingImages, int evaluationImages, List<CheckpointFormat> exportFormats) {

	public ResolvedJob {
		exportFormats = List.copyOf(exportFormats);
	}

	/**
	 * Resolves {@code spec} for a teacher and a source of {@code images} images.
	 * @throws IllegalArgumentException when the spec cannot run on them
	 */
	static ResolvedJob of(DistillSpec spec, TeacherDescription teacher, int images) {
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
		int resolution = (spec.resolution() != null) ? spec.resolution() : teacher.config().imageSize();
		long steps = (spec.steps() != null) ? spec.steps()
				: DistillSettings.stepsOfEpochs(spec.epochs(), training, spec.batchSize());
		DistillSettings settings = new DistillSettings(spec.registers(), spec.unlock().policy(spec.unlockPatterns()),
				spec.views(), spec.shiftFraction(), resolution, spec.batchSize(), steps, learningRate, endLearningRate,
				spec.weightDecay(), PaperDefaults.MSE_WEIGHT, spec.seed(), spec.targets());
		List<CheckpointFormat> exports = spec.exportFormats().isEmpty() ? List.of(teacher.format())
				: spec.exportFormats();
		return new ResolvedJob(teacher.format(), teacher.config(), teacher.normalization(), settings, training, heldOut,
				exports);
	}

}
