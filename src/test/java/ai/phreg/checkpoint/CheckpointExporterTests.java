package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.phreg.FixtureCheckpoint;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.HalfFloats;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.checkpoint.safetensors.TensorInfo;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.StudentFactory;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.ViTOutput;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Students of every fixture teacher, exported in the teacher's own format (and DINOv2 hub
 * and Hugging Face crosswise), load back as the same family with the same weights,
 * registers and outputs; teachers exported in their own format reproduce the fixture
 * files tensor for tensor.
 */
class CheckpointExporterTests {

	private static final int REGISTERS = 4;

	private static final long SEED = 7;

	private static final float OUTPUT_TOLERANCE = 1e-6f;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path folder;

	@TestFactory
	Stream<DynamicTest> studentsRoundTripInTheirTeachersFormat() throws IOException {
		return FixtureCheckpoint.all().stream().map((fixture) -> DynamicTest.dynamicTest(fixture.name(), () -> {
			try (NDManager manager = NDManager.newBaseManager()) {
				LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
				assertRoundTrip(fixture, teacher, teacher.format(), manager);
			}
		}));
	}

	@TestFactory
	Stream<DynamicTest> dinoV2StudentsRoundTripBetweenHubAndHuggingFace() throws IOException {
		Map<CheckpointFormat, CheckpointFormat> other = Map.of(CheckpointFormat.DINOV2_HUB, CheckpointFormat.DINOV2_HF,
				CheckpointFormat.DINOV2_HF, CheckpointFormat.DINOV2_HUB);
		List<DynamicTest> tests = new ArrayList<>();
		for (FixtureCheckpoint fixture : fixtures(other::containsKey, (config) -> true)) {
			tests.add(DynamicTest.dynamicTest(fixture.name(), () -> {
				try (NDManager manager = NDManager.newBaseManager()) {
					LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
					assertRoundTrip(fixture, teacher, other.get(teacher.format()), manager);
				}
			}));
		}
		assertThat(tests).as("DINOv2 fixtures in hub and Hugging Face format").hasSizeGreaterThanOrEqualTo(2);
		return tests.stream();
	}

	/**
	 * Every later fixture set's teachers (DINOv2 SwiGLU, DINOv3, EVA-02, SigLIP): each
	 * format their students may be exported as either round-trips with the same weights
	 * and outputs, or is refused with its writer's reasons before anything is written.
	 * DINOv2 SwiGLU students must be writable in the hub, HF and timm layouts, DINOv3
	 * students in the original and HF ones (crosswise too), EVA-02 and SigLIP students in
	 * timm's; only transformers' SigLIP, which has no registers, refuses them.
	 */
	@TestFactory
	Stream<DynamicTest> modernStudentsRoundTripInEveryFormatThatCanHoldThem() throws IOException {
		List<Path> laterSets = Fixtures.roots().subList(1, Fixtures.roots().size());
		List<DynamicTest> tests = new ArrayList<>();
		Set<CheckpointFormat> written = EnumSet.noneOf(CheckpointFormat.class);
		for (FixtureCheckpoint fixture : FixtureCheckpoint.allSets()) {
			if (!laterSets.contains(fixture.root())) {
				continue;
			}
			tests.add(DynamicTest.dynamicTest(fixture.qualifiedName(), () -> {
				try (NDManager manager = NDManager.newBaseManager()) {
					LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
					VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
					for (CheckpointFormat format : FamilyProfile.of(teacher.format()).exportFormats()) {
						List<String> problems = CheckpointExporter.problems(student.config(), format);
						if (problems.isEmpty()) {
							assertRoundTrip(fixture, teacher, format, manager);
							written.add(format);
							continue;
						}
						Path target = target(fixture.name() + "-refused-" + format, format);
						assertThatIllegalArgumentException()
							.isThrownBy(() -> CheckpointExporter.export(student, format, target, DType.F32, Map.of()))
							.withMessageContaining(problems.get(0));
						assertThat(target).doesNotExist();
					}
				}
			}));
		}
		tests.add(DynamicTest.dynamicTest("every modern student was written in its family's layouts",
				() -> assertThat(written).containsExactlyInAnyOrder(CheckpointFormat.DINOV2_HUB,
						CheckpointFormat.DINOV2_HF, CheckpointFormat.TIMM, CheckpointFormat.DINOV3,
						CheckpointFormat.DINOV3_HF, CheckpointFormat.EVA02_TIMM, CheckpointFormat.SIGLIP_TIMM)));
		return tests.stream();
	}

	private void assertRoundTrip(FixtureCheckpoint fixture, LoadedModel teacher, CheckpointFormat format,
			NDManager manager) throws IOException {
		VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
		ExportedCheckpoint exported = CheckpointExporter.export(student, format,
				target(fixture.name() + "-" + format, format), DType.F32, Map.of("phreg.teacher", fixture.name()),
				teacher.normalization());
		LoadedModel loaded = CheckpointLoader.load(exported.location(), manager);
		ViTConfig config = loaded.model().config();

		assertThat(loaded.format()).isEqualTo(format);
		assertThat(config.numRegisters()).isEqualTo(teacher.model().config().numRegisters() + REGISTERS);
		assertThat(config.registerPlacement()).isEqualTo(student.config().registerPlacement())
			.isEqualTo(teacher.format().registerPlacement());
		assertThat(config)
			.isEqualTo(student.config().toBuilder().optPositionResampling(config.positionResampling()).build());
		boolean sameResampling = config.positionResampling() == student.config().positionResampling();
		assertThat(exported.notes()).as("notes on the resampling rule").hasSize(sameResampling ? 0 : 1);
		for (String name : student.parameterShapes().keySet()) {
			assertThat(values(loaded.model(), name)).as(name).isEqualTo(keptBy(format, name, student));
		}
		if (format != CheckpointFormat.DINOV2_HF) {
			assertThat(loaded.normalization().mean()).containsExactly(teacher.normalization().mean());
			assertThat(loaded.normalization().std()).containsExactly(teacher.normalization().std());
		}
		try (SafetensorsReader weights = SafetensorsReader.open(exported.files().get(0))) {
			assertThat(weights.metadata())
				.containsExactlyInAnyOrderEntriesOf(Map.of("format", "pt", "phreg.teacher", fixture.name()));
		}
		for (String input : fixture.inputs()) {
			NDArray pixels = fixture.inputPixels(manager, input);
			boolean nativeSize = pixels.getShape().get(2) == config.imageSize()
					&& pixels.getShape().get(3) == config.imageSize();
			// Off the native grid the target family's own resampling rule applies.
			if (sameResampling || nativeSize) {
				ViTOutput expected = forward(student, pixels);
				ViTOutput actual = forward(loaded.model(), pixels);
				float diff = maxAbsDiff(actual.tokens(), expected.tokens());
				if (expected.projectedClassToken() != null) {
					diff = Math.max(diff, maxAbsDiff(actual.projectedClassToken(), expected.projectedClassToken()));
				}
				System.out.printf("round trip %s -> %s on %s: max |diff| %s%n", fixture.name(), format, input, diff);
				assertThat(diff).as("%s outputs on %s", format, input).isLessThanOrEqualTo(OUTPUT_TOLERANCE);
			}
		}
	}

	@TestFactory
	Stream<DynamicTest> reducedPrecisionExportsLoadBackWithinTheirRounding() throws IOException {
		Map<DType, Function<Float, Float>> rounding = Map.of(DType.BF16,
				(value) -> HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(value)), DType.F16,
				(value) -> HalfFloats.halfToFloat(HalfFloats.floatToHalf(value)));
		List<DynamicTest> tests = new ArrayList<>();
		for (FixtureCheckpoint fixture : FixtureCheckpoint.all()) {
			for (DType dtype : rounding.keySet()) {
				tests.add(DynamicTest.dynamicTest(fixture.name() + " " + dtype, () -> {
					try (NDManager manager = NDManager.newBaseManager()) {
						LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
						VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
						ExportedCheckpoint exported = CheckpointExporter.export(student, teacher.format(),
								target(fixture.name() + "-" + dtype, teacher.format()), dtype, Map.of());
						try (SafetensorsReader weights = SafetensorsReader.open(exported.files().get(0))) {
							assertThat(weights.tensors()).extracting(TensorInfo::dtype).containsOnly(dtype);
						}
						LoadedModel loaded = CheckpointLoader.load(exported.location(), manager);
						for (String name : student.parameterShapes().keySet()) {
							float[] expected = values(student, name);
							for (int i = 0; i < expected.length; i++) {
								expected[i] = rounding.get(dtype).apply(expected[i]);
							}
							assertThat(values(loaded.model(), name)).as(name).isEqualTo(expected);
						}
					}
				}));
			}
		}
		return tests.stream();
	}

	/**
	 * The writers invert the converters exactly: a teacher exported in its own format
	 * holds the fixture's tensors byte for byte (mask tokens, DINOv3's RoPE periods and
	 * key-bias masks, unused by phreg, carried over or rebuilt unchanged), and the config
	 * says what the fixture's does. The later sets' teachers take part where their own
	 * format is written (all but transformers' SigLIP, which is not, and timm's unfused
	 * EVA-02 attention, which is written fused).
	 */
	@TestFactory
	Stream<DynamicTest> teachersExportToTheirFixtureFiles() throws IOException {
		Set<CheckpointFormat> laterSetFormats = EnumSet.of(CheckpointFormat.DINOV2_HUB, CheckpointFormat.DINOV2_HF,
				CheckpointFormat.DINOV3, CheckpointFormat.DINOV3_HF, CheckpointFormat.EVA02_TIMM,
				CheckpointFormat.SIGLIP_TIMM);
		List<FixtureCheckpoint> fixtures = new ArrayList<>(FixtureCheckpoint.all());
		for (FixtureCheckpoint fixture : FixtureCheckpoint.allSets()) {
			boolean unfusedEva = detectedFormat(fixture) == CheckpointFormat.EVA02_TIMM
					&& !holds(fixture, "blocks.0.attn.qkv.weight");
			if (!fixtures.contains(fixture) && laterSetFormats.contains(detectedFormat(fixture)) && !unfusedEva) {
				fixtures.add(fixture);
			}
		}
		return fixtures.stream().map((fixture) -> DynamicTest.dynamicTest(fixture.qualifiedName(), () -> {
			try (NDManager manager = NDManager.newBaseManager()) {
				LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
				ExportedCheckpoint exported = CheckpointExporter.export(teacher.model(), teacher.carried(),
						teacher.format(), target(fixture.name() + "-teacher", teacher.format()), DType.F32, Map.of(),
						teacher.normalization());
				assertThat(exported.notes()).isEmpty();
				assertSameTensors(exported.files().get(0), fixture.weights());
				assertConfigMatchesFixture(teacher.format(), fixture, JSON.readTree(exported.files().get(1).toFile()));
			}
		}));
	}

	private static void assertSameTensors(Path exported, Path fixture) throws IOException {
		try (SafetensorsReader actual = SafetensorsReader.open(exported);
				SafetensorsReader expected = SafetensorsReader.open(fixture)) {
			assertThat(actual.names()).containsExactlyInAnyOrderElementsOf(expected.names());
			for (String name : expected.names()) {
				assertThat(actual.info(name).dtype()).as(name).isEqualTo(DType.F32);
				assertThat(actual.info(name).shape()).as(name).isEqualTo(expected.info(name).shape());
				assertThat(actual.readBytes(name)).as(name).isEqualTo(expected.readBytes(name));
			}
		}
	}

	private static void assertConfigMatchesFixture(CheckpointFormat format, FixtureCheckpoint fixture, JsonNode written)
			throws IOException {
		Path fixtureConfigs = fixture.location().resolveSibling(fixture.model() + ".config.json");
		switch (format) {
			case DINOV2_HF, DINOV3_HF ->
				assertThat(written).isEqualTo(JSON.readTree(fixture.location().resolve("config.json")));
			case DINOV2_HUB -> assertSameSettings(written, JSON.readTree(fixtureConfigs), "img_size", "patch_size",
					"in_chans", "embed_dim", "depth", "num_heads", "mlp_ratio", "qkv_bias", "init_values",
					"num_register_tokens", "interpolate_antialias", "interpolate_offset", "ffn_layer");
			case TIMM -> assertSameSettings(written.path("model_args"), JSON.readTree(fixtureConfigs), "img_size",
					"patch_size", "embed_dim", "depth", "num_heads", "mlp_ratio", "qkv_bias", "class_token",
					"reg_tokens", "no_embed_class");
			case DINOV3 -> assertSameSettings(written, JSON.readTree(fixtureConfigs), "img_size", "patch_size",
					"in_chans", "pos_embed_rope_base", "pos_embed_rope_min_period", "pos_embed_rope_max_period",
					"pos_embed_rope_normalize_coords", "pos_embed_rope_dtype", "embed_dim", "depth", "num_heads",
					"ffn_ratio", "qkv_bias", "layerscale_init", "norm_layer", "ffn_layer", "ffn_bias", "proj_bias",
					"n_storage_tokens", "mask_k_bias");
			case EVA02_TIMM -> assertSameSettings(written.path("model_args"), JSON.readTree(fixtureConfigs), "img_size",
					"patch_size", "embed_dim", "depth", "num_heads", "qkv_fused", "mlp_ratio", "swiglu_mlp",
					"scale_mlp", "use_rot_pos_emb", "ref_feat_shape", "dynamic_img_size", "class_token",
					"no_embed_class", "qkv_bias", "init_values", "global_pool", "rope_type", "rope_temperature",
					"rope_grid_offset", "rope_grid_indexing", "rope_rotate_half");
			// no_embed_class differs and means the same without registers: no prefix
			// token.
			case SIGLIP_TIMM -> assertSameSettings(written.path("model_args"), JSON.readTree(fixtureConfigs),
					"img_size", "patch_size", "embed_dim", "depth", "num_heads", "mlp_ratio", "class_token",
					"global_pool", "dynamic_img_size", "qkv_bias", "reg_tokens");
			case CLIP_OPENAI -> {
				JsonNode expected = JSON.readTree(fixtureConfigs);
				JsonNode vision = written.path("model_cfg").path("vision_cfg");
				assertThat(vision.path("image_size").asInt()).isEqualTo(expected.path("image_resolution").asInt());
				assertThat(written.path("model_cfg").path("embed_dim").asInt())
					.isEqualTo(expected.path("output_dim").asInt());
				assertSameSettings(vision, expected, "patch_size", "width", "layers", "head_width");
			}
		}
	}

	/** The same value under each key, numbers compared as numbers (4 equals 4.0). */
	private static void assertSameSettings(JsonNode actual, JsonNode expected, String... keys) {
		for (String key : keys) {
			JsonNode value = actual.path(key);
			if (value.isNumber()) {
				assertThat(value.doubleValue()).as(key).isEqualTo(expected.path(key).doubleValue());
			}
			else {
				assertThat(value).as(key).isEqualTo(expected.path(key));
			}
		}
	}

	/**
	 * The mask token is not part of phreg's model, so a student has none of its own: it
	 * carries its teacher's, from any DINOv2 layout to any other, in the teacher's dtype
	 * and bytes even when the weights are written in another dtype.
	 */
	@Test
	void theTeachersMaskTokenComesBackBitIdenticalThroughEveryDinoV2Export() throws IOException {
		Path hubFixture = Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors");
		ByteBuffer teacherMask;
		try (SafetensorsReader fixture = SafetensorsReader.open(hubFixture)) {
			teacherMask = fixture.readBytes("mask_token");
			assertThat(fixture.readFloats("mask_token")).as("a trained, non-zero mask token").doesNotContain(0f);
		}
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(hubFixture, manager);
			ExportedCheckpoint huggingFace = CheckpointExporter.export(teacher.model(), teacher.carried(),
					CheckpointFormat.DINOV2_HF, this.folder.resolve("hf"), DType.BF16, Map.of(),
					teacher.normalization());
			// The export, loaded again as a student would be, exported once more.
			LoadedModel reloaded = CheckpointLoader.load(huggingFace.location(), manager);
			ExportedCheckpoint hub = CheckpointExporter.export(reloaded.model(), reloaded.carried(),
					CheckpointFormat.DINOV2_HUB, this.folder.resolve("again.safetensors"), DType.F16, Map.of(),
					reloaded.normalization());

			try (SafetensorsReader hf = SafetensorsReader.open(huggingFace.files().get(0));
					SafetensorsReader again = SafetensorsReader.open(hub.files().get(0))) {
				assertThat(hf.info("embeddings.mask_token").dtype()).isEqualTo(DType.F32);
				assertThat(hf.readBytes("embeddings.mask_token")).isEqualTo(teacherMask);
				assertThat(again.readBytes("mask_token")).isEqualTo(teacherMask);
			}
		}
	}

	@Test
	void huggingFaceConfigOfAStudentNamesTheRegisterModel() throws IOException {
		FixtureCheckpoint fixture = fixture((format) -> format == CheckpointFormat.DINOV2_HF, (config) -> true);
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
			VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
			ExportedCheckpoint exported = CheckpointExporter.export(student, CheckpointFormat.DINOV2_HF,
					this.folder.resolve("hf"), DType.BF16, Map.of());
			JsonNode config = JSON.readTree(exported.files().get(1).toFile());
			JsonNode teacherConfig = JSON.readTree(fixture.location().resolve("config.json").toFile());

			assertThat(config.path("architectures").get(0).asString()).isEqualTo("Dinov2WithRegistersModel");
			assertThat(config.path("model_type").asString()).isEqualTo("dinov2_with_registers");
			assertThat(config.path("num_register_tokens").asInt())
				.isEqualTo(teacher.model().config().numRegisters() + REGISTERS);
			assertThat(config.path("torch_dtype").asString()).isEqualTo("bfloat16");
			assertSameSettings(config, teacherConfig, "hidden_size", "num_hidden_layers", "num_attention_heads",
					"mlp_ratio", "hidden_act", "layer_norm_eps", "image_size", "patch_size", "num_channels", "qkv_bias",
					"layerscale_value", "use_swiglu_ffn", "drop_path_rate", "initializer_range");
		}
	}

	/**
	 * timm adds {@code pos_embed} after prepending the class and register tokens unless
	 * {@code no_embed_class}, so the export has a zero row per register; phreg reads such
	 * a checkpoint back exactly.
	 */
	@TestFactory
	Stream<DynamicTest> timmExportsGiveRegistersZeroPositionRows() throws IOException {
		List<DynamicTest> tests = new ArrayList<>();
		for (FixtureCheckpoint fixture : fixtures((format) -> format != CheckpointFormat.CLIP_OPENAI,
				ViTConfig::classTokenPositioned)) {
			tests.add(DynamicTest.dynamicTest(fixture.name(), () -> {
				try (NDManager manager = NDManager.newBaseManager()) {
					LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
					VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
					ViTConfig config = student.config();
					ExportedCheckpoint exported = CheckpointExporter.export(student, CheckpointFormat.TIMM,
							this.folder.resolve("timm-" + fixture.name()), DType.F32, Map.of());
					int dim = config.embedDim();
					int registers = config.numRegisters();
					float[] position = values(student, "pos_embed");
					try (SafetensorsReader weights = SafetensorsReader.open(exported.files().get(0))) {
						assertThat(weights.info("pos_embed").shape()).containsExactly(1,
								config.positionEmbeddingLength() + registers, dim);
						float[] written = weights.readFloats("pos_embed");
						float[] expected = new float[written.length];
						System.arraycopy(position, 0, expected, 0, dim);
						System.arraycopy(position, dim, expected, (1 + registers) * dim, position.length - dim);
						assertThat(written).isEqualTo(expected);
					}
					JsonNode args = JSON.readTree(exported.files().get(1).toFile()).path("model_args");
					assertThat(args.path("no_embed_class").asBoolean()).isFalse();
					assertThat(args.path("reg_tokens").asInt()).isEqualTo(registers);
					LoadedModel loaded = CheckpointLoader.load(exported.location(), manager);
					assertThat(loaded.format()).isEqualTo(CheckpointFormat.TIMM);
					assertThat(loaded.model().config().classTokenPositioned()).isTrue();
					assertThat(loaded.model().config().numRegisters()).isEqualTo(registers);
					for (String name : student.parameterShapes().keySet()) {
						assertThat(values(loaded.model(), name)).as(name).isEqualTo(values(student, name));
					}
				}
			}));
		}
		assertThat(tests).as("fixtures with a class-token position row").isNotEmpty();
		return tests.stream();
	}

	/**
	 * Each modern layout phreg writes holds a student's registers the way its own code
	 * expects them: DINOv3's {@code storage_tokens} grow to the teacher's storage tokens
	 * followed by the new registers, with the qkv bias (its masked, non-zero key third
	 * included), {@code bias_mask}, RoPE periods and mask token as the teacher's file has
	 * them; timm's {@code Eva} gets {@code reg_token} with zero position rows after the
	 * class row; timm's SigLIP gets {@code reg_token} with {@code no_embed_class}, its
	 * position embedding unchanged.
	 */
	@TestFactory
	Stream<DynamicTest> modernExportsPutRegistersWhereTheirOwnLoadersExpectThem() throws IOException {
		List<DynamicTest> tests = new ArrayList<>();
		for (CheckpointFormat format : List.of(CheckpointFormat.DINOV3, CheckpointFormat.EVA02_TIMM,
				CheckpointFormat.SIGLIP_TIMM)) {
			FixtureCheckpoint fixture = laterSetFixture(format);
			tests.add(DynamicTest.dynamicTest(format + " " + fixture.qualifiedName(), () -> {
				try (NDManager manager = NDManager.newBaseManager()) {
					LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
					VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
					ExportedCheckpoint exported = CheckpointExporter.export(student, teacher.carried(), format,
							target(fixture.name() + "-registers-" + format, format), DType.F32, Map.of(),
							teacher.normalization());
					JsonNode config = JSON.readTree(exported.files().get(1).toFile());
					try (SafetensorsReader written = SafetensorsReader.open(exported.files().get(0));
							SafetensorsReader source = SafetensorsReader.open(fixture.weights())) {
						switch (format) {
							case DINOV3 -> assertDinoV3Registers(student, teacher, written, source, config);
							case EVA02_TIMM -> assertEvaRegisters(student, written, config.path("model_args"));
							default -> assertSigLipRegisters(student, written, config.path("model_args"));
						}
					}
					assertThat(CheckpointLoader.load(exported.location(), manager).model().config().numRegisters())
						.isEqualTo(student.config().numRegisters());
				}
			}));
		}
		return tests.stream();
	}

	private static void assertDinoV3Registers(VisionTransformer student, LoadedModel teacher, SafetensorsReader written,
			SafetensorsReader source, JsonNode config) throws IOException {
		int dim = student.config().embedDim();
		int storage = teacher.model().config().numRegisters();
		int registers = storage + REGISTERS;
		assertThat(storage).as("the teacher's storage tokens").isPositive();
		assertThat(written.info("storage_tokens").shape()).containsExactly(1, registers, dim);
		float[] tokens = written.readFloats("storage_tokens");
		assertThat(tokens).isEqualTo(values(student, "reg_token"));
		assertThat(Arrays.copyOfRange(tokens, 0, storage * dim)).isEqualTo(source.readFloats("storage_tokens"));
		assertThat(config.path("n_storage_tokens").asInt()).isEqualTo(registers);
		for (int block = 0; block < student.config().depth(); block++) {
			String bias = "blocks." + block + ".attn.qkv.bias";
			float[] stored = source.readFloats(bias);
			assertThat(Arrays.copyOfRange(stored, dim, 2 * dim)).as("the fixture's masked key bias is not zero")
				.isNotEqualTo(new float[dim]);
			assertThat(written.readBytes(bias)).as(bias).isEqualTo(source.readBytes(bias));
			assertThat(written.readBytes(bias + "_mask")).as(bias + "_mask")
				.isEqualTo(source.readBytes(bias + "_mask"));
		}
		for (String carried : List.of("rope_embed.periods", "mask_token")) {
			assertThat(written.readBytes(carried)).as(carried).isEqualTo(source.readBytes(carried));
		}
	}

	private static void assertEvaRegisters(VisionTransformer student, SafetensorsReader written, JsonNode args)
			throws IOException {
		ViTConfig config = student.config();
		int dim = config.embedDim();
		int registers = config.numRegisters();
		assertThat(written.readFloats("reg_token")).isEqualTo(values(student, "reg_token"));
		assertThat(written.info("pos_embed").shape()).containsExactly(1, config.positionEmbeddingLength() + registers,
				dim);
		float[] position = values(student, "pos_embed");
		float[] expected = new float[position.length + registers * dim];
		System.arraycopy(position, 0, expected, 0, dim);
		System.arraycopy(position, dim, expected, (1 + registers) * dim, position.length - dim);
		assertThat(written.readFloats("pos_embed")).isEqualTo(expected);
		assertThat(written.names()).contains("blocks.0.attn.q_bias", "blocks.0.attn.v_bias")
			.doesNotContain("blocks.0.attn.qkv.bias", "blocks.0.attn.k_bias");
		assertThat(args.path("num_reg_tokens").asInt()).isEqualTo(registers);
		assertThat(args.path("class_token").asBoolean()).isTrue();
		assertThat(args.path("no_embed_class").asBoolean()).isFalse();
	}

	private static void assertSigLipRegisters(VisionTransformer student, SafetensorsReader written, JsonNode args)
			throws IOException {
		ViTConfig config = student.config();
		assertThat(written.readFloats("reg_token")).isEqualTo(values(student, "reg_token"));
		assertThat(written.info("pos_embed").shape()).containsExactly(1, config.gridSize() * config.gridSize(),
				config.embedDim());
		assertThat(written.readFloats("pos_embed")).isEqualTo(values(student, "pos_embed"));
		assertThat(args.path("reg_tokens").asInt()).isEqualTo(config.numRegisters());
		assertThat(args.path("class_token").asBoolean()).isFalse();
		assertThat(args.path("no_embed_class").asBoolean()).isTrue();
		assertThat(args.path("pool_include_prefix").asBoolean()).isFalse();
		assertThat(args.path("global_pool").asString()).isEqualTo("map");
	}

	/**
	 * Without a carried buffer (a student of transformers' DINOv3, which stores none),
	 * the original layout's RoPE periods are computed as DINOv3's code computes them: the
	 * same bytes as the same model's file in the original layout.
	 */
	@Test
	void dinoV3PeriodsWithoutACarriedBufferAreUpstreamsOwn() throws IOException {
		FixtureCheckpoint huggingFace = laterSetFixture(CheckpointFormat.DINOV3_HF);
		FixtureCheckpoint original = null;
		for (FixtureCheckpoint fixture : FixtureCheckpoint.allSets()) {
			if (fixture.model().equals(huggingFace.model()) && detectedFormat(fixture) == CheckpointFormat.DINOV3) {
				original = fixture;
			}
		}
		assertThat(original).as("the same model in the original layout").isNotNull();
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(huggingFace.location(), manager);
			assertThat(teacher.carried().get(CarriedTensors.ROPE_PERIODS)).isEmpty();
			VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
			ExportedCheckpoint exported = CheckpointExporter.export(student, teacher.carried(), CheckpointFormat.DINOV3,
					this.folder.resolve("dinov3-from-hf.safetensors"), DType.F32, Map.of(), teacher.normalization());
			try (SafetensorsReader written = SafetensorsReader.open(exported.files().get(0));
					SafetensorsReader upstream = SafetensorsReader.open(original.weights())) {
				assertThat(written.readBytes("rope_embed.periods")).isEqualTo(upstream.readBytes("rope_embed.periods"));
				assertThat(written.readBytes("blocks.0.attn.qkv.bias_mask"))
					.isEqualTo(upstream.readBytes("blocks.0.attn.qkv.bias_mask"));
			}
		}
	}

	/**
	 * A later fixture set's checkpoint in {@code format} (EVA-02's with fused attention,
	 * as phreg writes it).
	 */
	private static FixtureCheckpoint laterSetFixture(CheckpointFormat format) throws IOException {
		List<Path> laterSets = Fixtures.roots().subList(1, Fixtures.roots().size());
		for (FixtureCheckpoint fixture : FixtureCheckpoint.allSets()) {
			if (laterSets.contains(fixture.root()) && detectedFormat(fixture) == format
					&& (format != CheckpointFormat.EVA02_TIMM || holds(fixture, "blocks.0.attn.qkv.weight"))) {
				return fixture;
			}
		}
		throw new AssertionError("No later-set fixture checkpoint in " + format);
	}

	@Test
	void timmPositionRowsForRegistersMustBeZero() throws IOException {
		FixtureCheckpoint fixture = fixture((format) -> format == CheckpointFormat.TIMM,
				ViTConfig::classTokenPositioned);
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
			VisionTransformer student = StudentFactory.create(teacher, REGISTERS, SEED, manager);
			ExportedCheckpoint exported = CheckpointExporter.export(student, CheckpointFormat.TIMM,
					this.folder.resolve("timm"), DType.F32, Map.of());
			Path weights = exported.files().get(0);
			List<TensorData> tensors = new ArrayList<>();
			try (SafetensorsReader reader = SafetensorsReader.open(weights)) {
				for (TensorInfo info : reader.tensors()) {
					float[] values = reader.readFloats(info.name());
					if (info.name().equals("pos_embed")) {
						// the first register's row
						values[(int) info.shape()[2] + 5] = 0.25f;
					}
					tensors.add(TensorData.ofFloats(info.name(), info.shape(), values, DType.F32));
				}
			}
			SafetensorsWriter.write(weights, Map.of("format", "pt"), tensors);

			assertThatExceptionOfType(InvalidCheckpointException.class)
				.isThrownBy(() -> CheckpointLoader.load(exported.location(), manager))
				.withMessageContaining("register token 0")
				.withMessageContaining("non-zero position embedding");
		}
	}

	@Test
	void refusesLayoutsThatCannotHoldTheModel() throws IOException {
		FixtureCheckpoint clip = fixture((format) -> format == CheckpointFormat.CLIP_OPENAI, (config) -> true);
		FixtureCheckpoint dinoV2 = fixture((format) -> format == CheckpointFormat.DINOV2_HUB, (config) -> true);
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer clipModel = CheckpointLoader.load(clip.location(), manager).model();
			VisionTransformer dinoV2Model = CheckpointLoader.load(dinoV2.location(), manager).model();
			Path target = this.folder.resolve("refused");

			assertThatIllegalArgumentException()
				.isThrownBy(() -> CheckpointExporter.export(clipModel, CheckpointFormat.DINOV2_HF, target, DType.F32,
						Map.of()))
				.withMessageContaining("Cannot export this model as " + CheckpointFormat.DINOV2_HF.description())
				.withMessageContaining("ln_pre")
				.withMessageContaining("CLIP's proj");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CheckpointExporter.export(clipModel, CheckpointFormat.DINOV2_HUB,
						target.resolve("clip.safetensors"), DType.F32, Map.of()))
				.withMessageContaining("patch embedding has a bias, this model's has none");
			assertThatIllegalArgumentException()
				.isThrownBy(
						() -> CheckpointExporter.export(clipModel, CheckpointFormat.TIMM, target, DType.F32, Map.of()))
				.withMessageContaining("eps 1e-6");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CheckpointExporter.export(dinoV2Model, CheckpointFormat.CLIP_OPENAI, target,
						DType.F32, Map.of()))
				.withMessageContaining("conv1 has no bias");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CheckpointExporter.export(dinoV2Model, CheckpointFormat.DINOV2_HUB,
						target.resolve("model.pth"), DType.F32, Map.of()))
				.withMessageContaining(".safetensors");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CheckpointExporter.export(dinoV2Model, CheckpointFormat.DINOV2_HF, target, DType.I32,
						Map.of()))
				.withMessageContaining("I32");
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CheckpointExporter.export(dinoV2Model, CheckpointFormat.DINOV2_HF, target, DType.F32,
						Map.of("format", "np")))
				.withMessageContaining("'pt'");
			assertThat(target).doesNotExist();
		}
	}

	/** A fresh place for one export: a file for single-file layouts, else a folder. */
	private Path target(String label, CheckpointFormat format) throws IOException {
		Path folder = Files.createDirectories(this.folder.resolve(label));
		return folder.resolve(FamilyProfile.of(format).isSingleFile() ? "student.safetensors" : "student");
	}

	private static FixtureCheckpoint fixture(Predicate<CheckpointFormat> format, Predicate<ViTConfig> config)
			throws IOException {
		return fixtures(format, config).stream()
			.findFirst()
			.orElseThrow(() -> new AssertionError("No fixture checkpoint of the kind this test needs"));
	}

	/** Fixture checkpoints by their detected family and architecture (no values read). */
	private static List<FixtureCheckpoint> fixtures(Predicate<CheckpointFormat> format, Predicate<ViTConfig> config)
			throws IOException {
		List<FixtureCheckpoint> matches = new ArrayList<>();
		for (FixtureCheckpoint fixture : FixtureCheckpoint.all()) {
			try (StateDict dict = StateDict.open(fixture.location())) {
				ConvertedCheckpoint converted = CheckpointLoader.convert(dict);
				if (format.test(converted.format()) && config.test(converted.config())) {
					matches.add(fixture);
				}
			}
		}
		return matches;
	}

	/**
	 * The values of parameter {@code name} that {@code format} keeps: transformers'
	 * DINOv3 has no key bias, so the masked key third of the original layout's qkv bias
	 * (non-zero in the fixtures, switched off in every forward pass) comes back as zeros.
	 */
	private static float[] keptBy(CheckpointFormat format, String name, VisionTransformer student) {
		float[] values = values(student, name);
		if (format == CheckpointFormat.DINOV3_HF && name.endsWith(".attn.qkv.bias")
				&& student.config().maskedKeyBias()) {
			Arrays.fill(values, values.length / 3, 2 * values.length / 3, 0f);
		}
		return values;
	}

	private static boolean holds(FixtureCheckpoint fixture, String key) throws IOException {
		try (StateDict dict = StateDict.open(fixture.location())) {
			return dict.tensors().containsKey(key);
		}
	}

	private static CheckpointFormat detectedFormat(FixtureCheckpoint fixture) throws IOException {
		try (StateDict dict = StateDict.open(fixture.location())) {
			return CheckpointLoader.convert(dict).format();
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
