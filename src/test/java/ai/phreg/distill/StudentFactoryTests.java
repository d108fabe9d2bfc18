package ai.phreg.distill;

import java.io.IOException;
import java.util.Arrays;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.phreg.FixtureCheckpoint;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.ViTOutput;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

/**
 * The student of every fixture teacher is the teacher's weights, bit for bit, plus new
 * registers from a seed, and the registers change what the patch tokens see.
 */
class StudentFactoryTests {

	private static final int REGISTERS = 4;

	private static final long SEED = 20250527L;

	@TestFactory
	Stream<DynamicTest> everyTeacherParameterIsCopiedAndRegistersAreAppended() throws IOException {
		return FixtureCheckpoint.allSets()
			.stream()
			.map((fixture) -> DynamicTest.dynamicTest(fixture.qualifiedName(), () -> assertStudentOf(fixture)));
	}

	private static void assertStudentOf(FixtureCheckpoint fixture) throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
			ViTConfig taught = teacher.model().config();
			VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);

			assertThat(student.config()).isEqualTo(taught.toBuilder()
				.optRegisters(taught.numRegisters() + REGISTERS, teacher.format().registerPlacement())
				.build());
			for (String name : teacher.model().parameterShapes().keySet()) {
				if (!name.equals("reg_token")) {
					assertThat(values(student, name)).as(name).isEqualTo(values(teacher.model(), name));
				}
			}
			int dim = taught.embedDim();
			float[] registers = values(student, "reg_token");
			int kept = taught.numRegisters() * dim;
			if (kept > 0) {
				assertThat(Arrays.copyOfRange(registers, 0, kept)).as("the teacher's own registers come first")
					.isEqualTo(values(teacher.model(), "reg_token"));
			}
			assertThat(Arrays.copyOfRange(registers, kept, registers.length))
				.isEqualTo(StudentFactory.initialRegisters(REGISTERS, dim, SEED));
		}
	}

	/**
	 * Registers join the attention of every block, so the patch tokens move; without new
	 * registers the student computes exactly what the teacher does.
	 */
	@TestFactory
	Stream<DynamicTest> registersChangePatchTokensOnlyWhenAdded() throws IOException {
		return FixtureCheckpoint.allSets()
			.stream()
			.map((fixture) -> DynamicTest.dynamicTest(fixture.qualifiedName(), () -> assertRegistersMatter(fixture)));
	}

	private static void assertRegistersMatter(FixtureCheckpoint fixture) throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
			NDArray pixels = fixture.inputPixels(manager, fixture.inputs().get(0));
			ViTOutput taught = forward(teacher.model(), pixels);
			ViTOutput copy = forward(StudentFactory.create(teacher, 0, SEED, manager), pixels);
			ViTOutput student = forward(StudentFactory.create(teacher, REGISTERS, SEED, manager), pixels);

			assertThat(maxAbsDiff(copy.tokens(), taught.tokens())).isZero();
			assertThat(maxAbsDiff(student.pooled(), taught.pooled())).isGreaterThan(1e-3f);
			assertThat(maxAbsDiff(student.patchTokens(), taught.patchTokens())).isGreaterThan(1e-3f);
			assertThat(student.registerTokens().getShape().get(1))
				.isEqualTo(teacher.model().config().numRegisters() + REGISTERS);
		}
	}

	@Test
	void studentOutlivesItsTeacher() throws IOException {
		FixtureCheckpoint fixture = FixtureCheckpoint.all().get(0);
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer student;
			float[] teacherPatchWeights;
			try (NDManager teacherManager = NDManager.newBaseManager()) {
				LoadedModel teacher = CheckpointLoader.load(fixture.location(), teacherManager);
				teacherPatchWeights = values(teacher.model(), "patch_embed.proj.weight");
				student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
			}
			assertThat(values(student, "patch_embed.proj.weight")).isEqualTo(teacherPatchWeights);
			NDArray pixels = FixtureCheckpoint.pixels(manager, fixture.inputs().get(0));
			assertThat(forward(student, pixels).tokens().isNaN().any().getBoolean()).isFalse();
		}
	}

	/**
	 * The first values for one seed, computed independently (SplitMix64 as specified for
	 * SplittableRandom, Box–Muller in Python's double precision): any JVM gives these
	 * bits.
	 */
	@Test
	void initialRegistersAreTheSameOnEveryJvm() {
		float[] values = StudentFactory.initialRegisters(2, 3, 42);
		int[] bits = new int[values.length];
		for (int i = 0; i < values.length; i++) {
			bits[i] = Float.floatToRawIntBits(values[i]);
		}
		assertThat(bits).containsExactly(1057121754, 1062025211, (int) 3196405202L, 1053180954, 1038005742,
				(int) 3186787467L);
		assertThat(StudentFactory.initialRegisters(2, 3, 43)).isNotEqualTo(values);
	}

	@Test
	void initialRegistersAreNormalWithVarianceOneOverWidth() {
		int dim = 256;
		float[] values = StudentFactory.initialRegisters(64, dim, SEED);
		double mean = 0;
		for (float value : values) {
			mean += value;
		}
		mean /= values.length;
		double variance = 0;
		for (float value : values) {
			variance += (value - mean) * (value - mean);
		}
		variance /= values.length;
		// 16384 samples: the standard error of the mean is 1/16/128 ~ 5e-4, of the
		// variance about 1.1% of it.
		assertThat(mean).isCloseTo(0, within(2.5e-3));
		assertThat(variance * dim).isCloseTo(1, within(0.05));
	}

	@Test
	void refusesNegativeRegisterCounts() throws IOException {
		FixtureCheckpoint fixture = FixtureCheckpoint.all().get(0);
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
			assertThatIllegalArgumentException().isThrownBy(() -> StudentFactory.create(teacher, -1, SEED, manager))
				.withMessageContaining("-1");
		}
	}

	private static float[] values(VisionTransformer model, String name) {
		return model.getParameters().get(name).getArray().toFloatArray();
	}

	private static ViTOutput forward(VisionTransformer model, NDArray pixels) {
		return model.forward(new ParameterStore(pixels.getManager(), false), pixels, false, false);
	}

	private static float maxAbsDiff(NDArray actual, NDArray expected) {
		assertThat(actual.getShape()).isEqualTo(expected.getShape());
		return actual.sub(expected).abs().max().getFloat();
	}

}
