package ai.phreg.demo;

import java.io.IOException;
import java.nio.file.Path;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.ExecutionSettings;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.imagesource.ImageFolder;
import ai.phreg.distill.UnlockPolicy;
import ai.phreg.distill.cache.TargetCacheSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PH-Reg works on the demo teacher: a short CPU run on random crops of 28 of the bundled
 * photos removes the planted artifacts on the 8 held-out photos and brings the patch
 * features closer to the artifact-free ground truth. The full-length figures come from
 * {@code phreg benchmark}.
 */
class DemoEfficacyTests {

	@Test
	void aShortRunRemovesTheArtifactsAndApproachesTheGroundTruth() throws IOException {
		// given the paper's settings for the demo teacher's family, cut to 6 epochs of 28
		// photos, with the final rate of a short run
		FamilyProfile dinov2 = FamilyProfile.DINOV2_HUB;
		DistillSettings settings = new DistillSettings(PaperDefaults.REGISTERS, UnlockPolicy.DEFAULT,
				PaperDefaults.VIEWS, PaperDefaults.SHIFT_FRACTION, DemoTeacher.config().imageSize(),
				PaperDefaults.BATCH_SIZE, DistillSettings.stepsOfEpochs(6, 28, PaperDefaults.BATCH_SIZE),
				dinov2.learningRate(), DemoEfficacy.SHORT_RUN_END_LEARNING_RATE, PaperDefaults.WEIGHT_DECAY,
				PaperDefaults.MSE_WEIGHT, 1);
		try (NDManager manager = NDManager.newBaseManager()) {

			// when the student is distilled and both are measured on held-out photos
			DemoEfficacy.Result result = DemoEfficacy.run(settings, DemoTeacher.DEFAULT_SEED,
					ImageFolder.scan(Fixtures.photos()), 8, (report) -> {
					}, null, manager);

			// then
			assertThat(result.teacher().outlierFraction()).as("teacher outlier fraction").isGreaterThanOrEqualTo(0.02);
			assertThat(result.student().outlierFraction()).as("student outlier fraction at the teacher's threshold")
				.isLessThan(0.005);
			assertThat(result.studentToTruth()).as("student's mean cosine to the ground truth")
				.isGreaterThan(result.teacherToTruth());
		}
	}

	@Test
	void withCachedTargetsTheShortRunStillRemovesTheArtifacts(@TempDir Path cacheFolder) throws IOException {
		// given the same run, its targets cached with 2 view sets for the 6 epochs
		DistillSettings settings = new DistillSettings(16, UnlockPolicy.DEFAULT, 10, 0.15,
				DemoTeacher.config().imageSize(), 8, DistillSettings.stepsOfEpochs(6, 28, 8), 1e-4, 5e-5, 1e-2, 1f, 1);
		ExecutionSettings cached = ExecutionSettings.DEFAULT
			.withTargetCache(TargetCacheSettings.on(cacheFolder).withViewSets(2));
		try (NDManager manager = NDManager.newBaseManager()) {

			// when
			DemoEfficacy.Result result = DemoEfficacy.run(settings, cached, DemoTeacher.DEFAULT_SEED,
					ImageFolder.scan(Fixtures.photos()), 8, (report) -> {
					}, null, manager);

			// then the same bars hold
			assertThat(result.student().outlierFraction()).as("student outlier fraction at the teacher's threshold")
				.isLessThan(0.005);
			assertThat(result.studentToTruth()).as("student's mean cosine to the ground truth")
				.isGreaterThan(result.teacherToTruth());
		}
	}

}
