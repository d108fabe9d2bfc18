package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.phreg.FixtureCheckpoint;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.imagesource.ImageFolder;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * A few PH-Reg steps on one checkpoint of every model of every fixture set beyond the
 * first (DINOv2 SwiGLU, DINOv3, EVA-02, SigLIP): the run completes with finite losses,
 * the unlocked parameters move, and every other parameter stays bit-identical to the
 * teacher's. The student is exported in every format its family may be written as (its
 * teacher's own first) and read back with the same weights, or, where the format cannot
 * hold it (transformers' SigLIP has no registers), refused with the reason before
 * anything is written.
 */
class ModernFamilyDistillationTests {

	private static final long STEPS = 2;

	@TestFactory
	Stream<DynamicTest> aShortRunTrainsOnlyTheUnlockedParameters(@TempDir Path folder) throws IOException {
		List<Path> laterSets = Fixtures.roots().subList(1, Fixtures.roots().size());
		Map<String, FixtureCheckpoint> onePerModel = new LinkedHashMap<>();
		for (FixtureCheckpoint fixture : FixtureCheckpoint.allSets()) {
			if (laterSets.contains(fixture.root())) {
				onePerModel.putIfAbsent(fixture.root() + "/" + fixture.model(), fixture);
			}
		}
		return onePerModel.values()
			.stream()
			.map((fixture) -> DynamicTest.dynamicTest(fixture.qualifiedName(), () -> assertShortRun(fixture, folder)));
	}

	/**
	 * The student in {@code format}: written and read back with the same weights where
	 * the format can hold it, else refused with the writer's reasons and nothing left
	 * behind.
	 * @return whether it was written
	 */
	private static boolean exportsOrIsRefused(LoadedModel teacher, VisionTransformer student, CheckpointFormat format,
			Path folder, NDManager manager) throws IOException {
		Path target = folder.resolve(teacher.format() + "-" + format + "-" + student.config().hashCode())
			.resolve(FamilyProfile.of(format).isSingleFile() ? "student.safetensors" : "student");
		List<String> problems = CheckpointExporter.problems(student.config(), format);
		if (!problems.isEmpty()) {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CheckpointExporter.export(student, format, target, DType.F32, Map.of(),
						teacher.normalization()))
				.withMessageContaining(problems.get(0));
			assertThat(target).doesNotExist();
			return false;
		}
		CheckpointExporter.export(student, teacher.carried(), format, target, DType.F32, Map.of(),
				teacher.normalization());
		LoadedModel loaded = CheckpointLoader.load(target, manager);
		assertThat(loaded.format()).isEqualTo(format);
		for (Pair<String, Parameter> parameter : student.getParameters()) {
			assertThat(loaded.model().getParameters().get(parameter.getKey()).getArray().toFloatArray())
				.as(parameter.getKey())
				.containsExactly(parameter.getValue().getArray().toFloatArray());
		}
		return true;
	}

	private static void assertShortRun(FixtureCheckpoint fixture, Path folder) throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
			// The teacher's native input: a multiple of its patch size.
			DistillSettings settings = new DistillSettings(4, UnlockPolicy.DEFAULT, 2, 0.25,
					teacher.model().config().imageSize(), 2, STEPS, 1e-3, 1e-4, 1e-2, 1f, 42);
			try (Distiller distiller = new Distiller(settings, teacher, ImageFolder.scan(Fixtures.photos()), manager)) {
				Map<String, float[]> before = DistillerTests.values(distiller);
				List<Float> losses = new ArrayList<>();

				long ran = distiller.run(STEPS, (report) -> losses.add(report.loss()));

				assertThat(ran).isEqualTo(STEPS);
				assertThat(distiller.isFinished()).isTrue();
				assertThat(losses).hasSize((int) STEPS).allSatisfy((loss) -> assertThat(loss).isFinite());
				Map<String, float[]> after = DistillerTests.values(distiller);
				for (String name : before.keySet()) {
					boolean changed = !Arrays.equals(before.get(name), after.get(name));
					assertThat(changed).as("%s changed", name).isEqualTo(distiller.unlockedParameters().contains(name));
				}
				assertThat(distiller.unlockedParameters()).contains("reg_token", "patch_embed.proj.weight");
				List<CheckpointFormat> written = new ArrayList<>();
				for (CheckpointFormat format : FamilyProfile.of(teacher.format()).exportFormats()) {
					if (exportsOrIsRefused(teacher, distiller.student(), format, folder, manager)) {
						written.add(format);
					}
				}
				// Only transformers' SigLIP, which has no registers, holds no student.
				assertThat(written).as("formats written")
					.hasSize(teacher.format() == CheckpointFormat.SIGLIP_HF ? 0
							: FamilyProfile.of(teacher.format()).exportFormats().size());
			}
		}
	}

}
