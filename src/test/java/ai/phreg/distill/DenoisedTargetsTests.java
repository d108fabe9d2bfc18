package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Parity with the reference run of the authors' PH-Reg code in the fixture set
 * ({@code phreg/phreg_tta.*}): for the view list it gives, the augmented images, the
 * shifted patch-index maps, the teacher's per-view features, the recovered maps and
 * coverage, the denoised target and the losses.
 */
class DenoisedTargetsTests {

	private static NDManager manager;

	private static SafetensorsReader reference;

	private static JsonNode description;

	private static TtaPlan plan;

	private static LoadedModel teacher;

	private static LoadedModel student;

	private static DenoisedTargets targets;

	@BeforeAll
	static void loadReference() throws IOException {
		Path root = Fixtures.root();
		manager = NDManager.newBaseManager();
		reference = SafetensorsReader.open(root.resolve("phreg/phreg_tta.safetensors"));
		description = JsonMapper.builder().build().readTree(root.resolve("phreg/phreg_tta.json").toFile());
		List<TtaView> views = new ArrayList<>();
		for (JsonNode view : description.path("augmentations")) {
			views.add(new TtaView(view.path("offset_h").asInt(), view.path("offset_w").asInt(),
					view.path("flip").asInt() == 1));
		}
		plan = new TtaPlan(views);
		// "dinov2/dinov2_reg0 (plays ...)": the hub form of the named fixture model
		teacher = CheckpointLoader.load(hubCheckpoint(root, "teacher"), manager);
		student = CheckpointLoader.load(hubCheckpoint(root, "student"), manager);
		targets = new DenoisedTargets(teacher.model().config().patchSize(), teacher.normalization());
	}

	private static Path hubCheckpoint(Path root, String role) {
		String model = description.path(role).asString().split(" ")[0];
		return root.resolve(model + ".torch.safetensors");
	}

	@AfterAll
	static void close() throws IOException {
		reference.close();
		manager.close();
	}

	@Test
	void viewsShiftByWholePatchesWithWhiteFillThenMirror() throws IOException {
		NDArray image = fixture("original_image").get(0);

		NDArray views = targets.augment(image, plan);

		assertClose(views, fixture("shifted_images"), 1e-6);
	}

	@Test
	void shownPatchMapsMatchTheShiftedIndexMaps() throws IOException {
		int[] expected = reference.readInts("shifted_idxs");
		int grid = description.path("num_patches_per_side").asInt();
		int i = 0;
		for (TtaView view : plan.views()) {
			int[][][] shown = DenoisedTargets.shownPatches(view, grid, grid);
			for (int axis = 0; axis < 2; axis++) {
				for (int r = 0; r < grid; r++) {
					for (int c = 0; c < grid; c++) {
						assertThat(shown[axis][r][c]).as("view %s axis %d at (%d, %d)", view, axis, r, c)
							.isEqualTo(expected[i++]);
					}
				}
			}
		}
	}

	@Test
	void teacherFeaturesOfEachViewMatch() throws IOException {
		NDArray views = fixture("shifted_images");

		NDArray features = DenseFeatures.patchTokens(teacher.model())
			.of(new ParameterStore(manager, false), views, false);

		assertClose(features, fixture("teacher_patch_feats"), 1e-4);
	}

	@Test
	void recoveredMapsAndCoverageMatch() throws IOException {
		int grid = description.path("num_patches_per_side").asInt();

		DenoisedTargets.Recovery recovery = targets.recoverViews(fixture("teacher_patch_feats"), plan, grid, grid);

		NDArray expectedMaps = fixture("recovered_maps");
		assertClose(recovery.features(), expectedMaps.reshape(expectedMaps.getShape().get(0), grid * grid, -1), 1e-6);
		assertClose(recovery.coverage(), fixture("contribution_maps").reshape(plan.size(), grid * grid), 0);
		assertClose(recovery.coverage().sum(new int[] { 0 }), fixture("contribution_count").flatten(), 0);
	}

	@Test
	void denoisedTargetFromOneTeacherPassMatches() throws IOException {
		NDArray image = fixture("original_image");

		NDArray denoised = targets.compute(DenseFeatures.patchTokens(teacher.model()),
				new ParameterStore(manager, false), image, List.of(plan));

		assertClose(denoised, fixture("denoised"), 1e-4);
	}

	@Test
	void teacherPassesInChunksGiveTheSameTargets() throws IOException {
		NDArray image = fixture("original_image");

		// 3 views per pass: the plan's views split unevenly over several passes
		NDArray denoised = targets.compute(DenseFeatures.patchTokens(teacher.model()),
				new ParameterStore(manager, false), image, List.of(plan), 3, new PhaseTimes());

		assertClose(denoised, fixture("denoised"), 1e-4);
	}

	/**
	 * A float16 teacher (the CUDA path; libtorch also computes it on a CPU) with float32
	 * recovery: targets within 0.5 % of the float32 ones in relative L2 (measured 0.06 %)
	 * and every patch's target within cosine 0.99999 of its float32 counterpart (measured
	 * 0.9999995), but not identical to them, which would mean the teacher never left
	 * float32.
	 */
	@Test
	void halfPrecisionTeacherTargetsStayCloseToFloat32() throws IOException {
		NDArray image = fixture("original_image");
		NDArray expected = fixture("denoised");

		NDArray denoised;
		try (TeacherFeatures half = TeacherFeatures.unchecked(teacher, TeacherPrecision.FP16, manager)) {
			denoised = targets.compute(half.features(), new ParameterStore(manager, false), image, List.of(plan), 3,
					new PhaseTimes());
		}

		assertThat(denoised.getDataType()).isEqualTo(DataType.FLOAT32);
		assertThat(denoised.getShape()).isEqualTo(expected.getShape());
		double relative = denoised.sub(expected).norm().getFloat() / expected.norm().getFloat();
		float cosine = denoised.mul(expected)
			.sum(new int[] { -1 })
			.div(denoised.norm(new int[] { -1 }).mul(expected.norm(new int[] { -1 })))
			.min()
			.getFloat();
		assertThat(relative).as("relative L2 error").isLessThan(5e-3).isGreaterThan(0);
		assertThat((double) cosine).as("least per-patch cosine").isGreaterThan(0.99999);
	}

	@Test
	void lossPartsMatchTheAuthorsLoss() throws IOException {
		NDArray studentFeatures = student.model()
			.forward(new ParameterStore(manager, false), fixture("original_image"), false, false)
			.patchTokens();
		assertClose(studentFeatures, fixture("student_patch_feats"), 1e-4);

		DistillationLoss.Parts loss = new DistillationLoss((float) description.path("mse_coeff").asDouble())
			.compute(fixture("student_patch_feats"), fixture("denoised"));

		JsonNode losses = description.path("losses");
		assertRelative(loss.cosine(), losses.path("cosine_similarity_loss").asDouble());
		assertRelative(loss.mse(), losses.path("mse_loss_coeff_1").asDouble());
		assertRelative(loss.total(), losses.path("total").asDouble());
	}

	private static NDArray fixture(String name) throws IOException {
		return manager.create(reference.readFloats(name), new Shape(reference.info(name).shape()));
	}

	private static void assertClose(NDArray actual, NDArray expected, double tolerance) {
		assertThat(actual.getShape()).isEqualTo(expected.getShape());
		float maxDiff = actual.sub(expected).abs().max().getFloat();
		assertThat((double) maxDiff).as("max |Δ|").isLessThanOrEqualTo(tolerance);
	}

	private static void assertRelative(NDArray actual, double expected) {
		assertThat((double) actual.getFloat()).isCloseTo(expected, within(Math.abs(expected) * 1e-5));
	}

}
