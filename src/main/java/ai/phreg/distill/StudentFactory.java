package ai.phreg.distill;

import java.util.SplittableRandom;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;

/**
 * Builds the PH-Reg student of a teacher: the teacher's architecture and a bit-exact copy
 * of its weights, plus new register tokens initialised {@code randn(N, D) / sqrt(D)}.
 * Registers are placed where the teacher's family puts them (after the class token for
 * DINOv2 and timm, after the patches for CLIP), so the student exports to the teacher's
 * own format; registers the teacher already has are kept, the new ones follow them.
 * <p>
 * The initial registers come from a seed and are identical on every JVM: the uniforms
 * come from {@link SplittableRandom}, whose algorithm is fixed, and the Box–Muller
 * transform uses {@link StrictMath}, since {@link Math}'s log and cos may differ in the
 * last bit between platforms.
 */
public final class StudentFactory {

	private static final String REGISTERS = "reg_token";

	private StudentFactory() {
	}

	/**
	 * Builds the student; it owns its arrays, allocated in {@code manager}, so it
	 * outlives the teacher. Every parameter is frozen, as
	 * {@link VisionTransformer#create} leaves it: the trainer unlocks its policy.
	 * @param teacher the loaded teacher
	 * @param newRegisters how many registers to add (0 gives a copy of the teacher)
	 * @param seed the seed of the new registers' initial values
	 * @param manager the manager that holds the student's parameters
	 * @return the student
	 */
	public static VisionTransformer create(LoadedModel teacher, int newRegisters, long seed, NDManager manager) {
		if (newRegisters < 0) {
			throw new IllegalArgumentException("newRegisters must not be negative, got " + newRegisters);
		}
		ViTConfig taught = teacher.model().config();
		int dim = taught.embedDim();
		ViTConfig config = taught.toBuilder()
			.optRegisters(taught.numRegisters() + newRegisters, teacher.format().registerPlacement())
			.build();
		VisionTransformer student = VisionTransformer.create(config, manager);
		float[] registers = new float[config.numRegisters() * dim];
		for (Pair<String, Parameter> parameter : teacher.model().getParameters()) {
			float[] values = parameter.getValue().getArray().toFloatArray();
			if (parameter.getKey().equals(REGISTERS)) {
				System.arraycopy(values, 0, registers, 0, values.length);
			}
			else {
				student.setParameter(parameter.getKey(), values);
			}
		}
		if (config.numRegisters() > 0) {
			float[] added = initialRegisters(newRegisters, dim, seed);
			System.arraycopy(added, 0, registers, taught.numRegisters() * dim, added.length);
			student.setParameter(REGISTERS, registers);
		}
		return student;
	}

	/**
	 * {@code randn(count, dim) / sqrt(dim)}, row-major, reproducible from {@code seed}.
	 * @param count the number of registers
	 * @param dim the token width
	 * @param seed the seed
	 * @return {@code count * dim} values
	 */
	public static float[] initialRegisters(int count, int dim, long seed) {
		SplittableRandom random = new SplittableRandom(seed);
		double scale = 1.0 / StrictMath.sqrt(dim);
		float[] values = new float[count * dim];
		for (int i = 0; i < values.length; i += 2) {
			// Box–Muller: two independent normals from two uniforms; 1 - u lies in (0,
			// 1], keeping the logarithm finite.
			double radius = StrictMath.sqrt(-2.0 * StrictMath.log(1.0 - random.nextDouble()));
			double angle = 2.0 * StrictMath.PI * random.nextDouble();
			values[i] = (float) (radius * StrictMath.cos(angle) * scale);
			if (i + 1 < values.length) {
				values[i + 1] = (float) (radius * StrictMath.sin(angle) * scale);
			}
		}
		return values;
	}

}
