package ai.phreg.job;

import java.util.List;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.TargetSource;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.image.Normalization;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** What a spec resolves to for a teacher and an image count. */
class ResolvedJobTests {

	private static final TeacherDescription CLIP = new TeacherDescription(CheckpointFormat.CLIP_OPENAI,
			DemoTeacher.config(), Normalization.IMAGENET);

	private static final TeacherDescription DINOV2 = new TeacherDescription(CheckpointFormat.DINOV2_HUB,
			DemoTeacher.config(), Normalization.IMAGENET);

	@Test
	void heldOutImagesAdaptToTheImageCountWhenNotGiven() {
		assertThat(ResolvedJob.of(spec(null, 5L, null), DINOV2, 5).evaluationImages()).isEqualTo(1);
		assertThat(ResolvedJob.of(spec(null, 5L, null), DINOV2, 36).evaluationImages()).isEqualTo(8);
		assertThat(ResolvedJob.of(spec(null, 5L, null), DINOV2, 3).evaluationImages()).isZero();
		assertThat(ResolvedJob.of(spec(2, 5L, null), DINOV2, 5).evaluationImages()).isEqualTo(2);
	}

	@Test
	void holdingOutEveryImageIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> ResolvedJob.of(spec(5, 5L, null), DINOV2, 5))
			.withMessageContaining("at least one must remain for training");
	}

	@Test
	void stepsAreExactlyTheRequestedOnesOrWholeEpochsOfTheTrainingImages() {
		assertThat(ResolvedJob.of(spec(8, 500L, null), DINOV2, 36).settings().steps()).isEqualTo(500);
		// 28 training images at batch 4: 7 steps per epoch
		assertThat(ResolvedJob.of(spec(8, null, 3), DINOV2, 36).settings().steps()).isEqualTo(21);
	}

	@Test
	void ratesAndExportFormatDefaultToTheFamilysProfile() {
		ResolvedJob clip = ResolvedJob.of(spec(0, 5L, null), CLIP, 10);

		assertThat(clip.settings().learningRate()).isEqualTo(FamilyProfile.CLIP_OPENAI.learningRate());
		assertThat(clip.settings().endLearningRate()).isEqualTo(FamilyProfile.CLIP_OPENAI.endLearningRate());
		assertThat(clip.exportFormats()).containsExactly(CheckpointFormat.CLIP_OPENAI);
		assertThat(clip.settings().resolution()).isEqualTo(DemoTeacher.config().imageSize());
	}

	@Test
	void targetsComeFromTheSpecAndDefaultToTheViews() {
		DistillSpec paper = spec(0, 5L, null);
		DistillSpec oneView = new DistillSpec(paper.teacher(), paper.images(), paper.registers(), paper.unlock(),
				paper.unlockPatterns(), paper.views(), paper.shiftFraction(), paper.resolution(), paper.batchSize(),
				paper.epochs(), paper.steps(), paper.learningRate(), paper.endLearningRate(), paper.weightDecay(),
				paper.seed(), paper.device(), paper.checkpointEvery(), paper.exportFormats(), paper.evaluationImages(),
				paper.heads(), paper.deterministic(), paper.targetCache(), paper.viewSets(), paper.teacherPrecision(),
				TargetSource.TEST_TIME_REGISTERS);

		assertThat(ResolvedJob.of(paper, DINOV2, 10).settings().targets()).isEqualTo(TargetSource.TTA);
		assertThat(ResolvedJob.of(oneView, DINOV2, 10).settings().targets())
			.isEqualTo(TargetSource.TEST_TIME_REGISTERS);
	}

	@Test
	void anAnalysisMeasuresTheFirstImagesTrainsNoneAndSearchesUpToAllWithTheFamilysDefaults() {
		DistillSpec analysis = analysis(null, new NeuronSearchOptions(null, 150.0, null, null, null, 2));

		ResolvedJob few = ResolvedJob.of(analysis, DINOV2, 5);
		ResolvedJob many = ResolvedJob.of(analysis(3, NeuronSearchOptions.DEFAULTS), DINOV2, 900);

		assertThat(few.settings()).isNull();
		assertThat(few.trainingImages()).isZero();
		assertThat(few.evaluationImages()).isEqualTo(5);
		assertThat(few.exportFormats()).isEmpty();
		RegisterNeuronSearch defaults = RegisterNeuronSearch.defaults(CheckpointFormat.DINOV2_HUB,
				DemoTeacher.config());
		assertThat(few.analysis()).isEqualTo(new AnalysisSettings(DemoTeacher.config().imageSize(), 2, 0.15, 1,
				defaults.withNormThreshold(150.0).withImages(5), 2));
		assertThat(many.evaluationImages()).isEqualTo(3);
		assertThat(many.analysis().search()).isEqualTo(defaults);
		assertThat(many.analysis().testTimeRegisterTokens()).isEqualTo(TestTimeRegisters.DEFAULT_TOKENS);
		assertThat(ResolvedJob.of(spec(0, 5L, null), DINOV2, 10).analysis()).isNull();
	}

	private static DistillSpec analysis(Integer evaluationImages, NeuronSearchOptions search) {
		return new DistillSpec("demo", "demo", 4, Unlock.DEFAULT, List.of(), 2, 0.15, null, 4, null, null, null, null,
				0.01, 1, "cpu", 10, List.of(), evaluationImages, null, false, null, null, null, null, JobKind.ANALYZE,
				search);
	}

	private static DistillSpec spec(Integer evaluationImages, Long steps, Integer epochs) {
		return new DistillSpec("demo", "demo", 4, Unlock.DEFAULT, List.of(), 2, 0.15, null, 4, epochs, steps, null,
				null, 0.01, 1, "cpu", 10, List.of(), evaluationImages, null, false, null, null);
	}

}
