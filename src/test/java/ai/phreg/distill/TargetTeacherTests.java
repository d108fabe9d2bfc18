package ai.phreg.distill;

import java.io.IOException;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.registers.RegisterNeuron;
import ai.phreg.distill.registers.RegisterNeurons;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.imagesource.ImageFolder;
import org.junit.jupiter.api.Test;

import static ai.phreg.Differences.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * What each target source makes of the teacher: features, views and cache key.
 */
class TargetTeacherTests {

	private static final DistillSettings SETTINGS = new DistillSettings(4, UnlockPolicy.DEFAULT, 4, 0.25, 112, 4, 2,
			1e-3, 1e-4, 1e-2, 1f, 42);

	@Test
	void testTimeRegistersGiveOneIntervenedPassPerImage() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = DistillerTests.teacher(manager);
			ImageFolder photos = ImageFolder.scan(Fixtures.photos());
			TargetTeacher tta = TargetTeacher.of(SETTINGS, teacher, photos, ExecutionSettings.DEFAULT, manager);
			TargetTeacher oneView = TargetTeacher.of(SETTINGS.withTargets(TargetSource.TEST_TIME_REGISTERS), teacher,
					photos, ExecutionSettings.DEFAULT, manager);
			TargetTeacher both = TargetTeacher.of(SETTINGS.withTargets(TargetSource.BOTH), teacher, photos,
					ExecutionSettings.DEFAULT, manager);
			int grid = 112 / teacher.model().config().patchSize();

			// The paper's targets are as before: no neurons, the same key and views
			assertThat(tta.registerNeurons()).isNull();
			assertThat(tta.cacheKey()).isEmpty();
			assertThat(tta.plan(grid, 3, 5)).isEqualTo(Distiller.plan(SETTINGS, grid, 3, 5));
			assertThat(tta.views()).isEqualTo(4);
			// One identity view through the intervened teacher
			assertThat(oneView.plan(grid, 3, 5).views()).containsExactly(TtaView.IDENTITY);
			assertThat(oneView.views()).isEqualTo(1);
			assertThat(both.plan(grid, 3, 5)).isEqualTo(Distiller.plan(SETTINGS, grid, 3, 5));
			assertThat(both.views()).isEqualTo(4);
			// Cached targets of each source are kept apart
			assertThat(oneView.cacheKey()).startsWith("/test-time-registers:1:");
			assertThat(both.cacheKey()).startsWith("/both:1:");
			assertThat(both.cacheKey().substring(5)).isEqualTo(oneView.cacheKey().substring(20));

			TestTimeRegisters registers = new TestTimeRegisters(oneView.registerNeurons().neurons(), 1);
			NDArray pixels = manager.randomNormal(new Shape(2, 3, 112, 112));
			ParameterStore store = new ParameterStore(manager, false);
			NDArray expected = teacher.model().forward(store, pixels, false, false, registers.hooks()).patchTokens();
			assertThat(maxAbsDiff(oneView.features().of(store, pixels, false).toFloatArray(), expected.toFloatArray()))
				.isZero();
			// the extra token changes the patches through attention
			assertThat(maxAbsDiff(tta.features().of(store, pixels, false).toFloatArray(), expected.toFloatArray()))
				.isGreaterThan(0);
		}
	}

	@Test
	void neuronsFoundBeforehandAreUsedInsteadOfASecondSearch() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = DistillerTests.teacher(manager);
			ImageFolder photos = ImageFolder.scan(Fixtures.photos());
			DistillSettings oneView = SETTINGS.withTargets(TargetSource.TEST_TIME_REGISTERS);
			RegisterNeurons.Found searched = TargetTeacher.findRegisterNeurons(oneView, teacher, photos, manager,
					() -> false);
			RegisterNeurons.Found planted = new RegisterNeurons.Found(List.of(new RegisterNeuron(0, 3, 1.0)), 10.0, 1,
					1);

			TargetTeacher found = TargetTeacher.of(oneView, teacher, photos, ExecutionSettings.DEFAULT, manager);
			TargetTeacher reused = TargetTeacher.of(oneView, teacher, photos,
					ExecutionSettings.DEFAULT.withRegisterNeurons(searched), manager);
			TargetTeacher given = TargetTeacher.of(oneView, teacher, photos,
					ExecutionSettings.DEFAULT.withRegisterNeurons(planted), manager);

			// the run's own search finds what the search beforehand found
			assertThat(found.registerNeurons()).isEqualTo(searched);
			assertThat(reused.cacheKey()).isEqualTo(found.cacheKey());
			// and neurons given are the ones used, whatever a search would find
			assertThat(given.registerNeurons()).isSameAs(planted);
			assertThat(given.cacheKey()).isNotEqualTo(found.cacheKey());
		}
	}

	@Test
	void targetSourcesAreSpelledAsUsersWriteThem() {
		assertThat(List.of(TargetSource.values()).stream().map(TargetSource::label)).containsExactly("tta",
				"test-time-registers", "both");
		assertThat(TargetSource.ofLabel("test-time-registers")).isEqualTo(TargetSource.TEST_TIME_REGISTERS);
		assertThatIllegalArgumentException().isThrownBy(() -> TargetSource.ofLabel("TTA"))
			.withMessageContaining("tta, test-time-registers, both");
	}

}
