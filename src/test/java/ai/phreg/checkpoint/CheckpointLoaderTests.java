package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsFormatException;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.checkpoint.safetensors.TensorInfo;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.ViTOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static ai.phreg.Differences.maxAbsDiff;
import static ai.phreg.Differences.maxAbs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Loading real checkpoint layouts: the fixture checkpoints as they are, and copies
 * derived from them (other dtypes, shards, extra or missing keys, sidecars) written with
 * our own safetensors writer.
 */
class CheckpointLoaderTests {

	private static final String DINOV2 = "dinov2/";

	private static final String CLIP_WEIGHTS = "clip/clip_vit.weights.safetensors";

	@TempDir
	Path dir;

	@ParameterizedTest
	@ValueSource(strings = { "dinov2_reg0", "dinov2_reg4" })
	void hubAndHuggingFaceFormsAgreeAtTheNativeSize(String model) throws IOException {
		float[] hub = tokens(hub(model), "imagenet_native");
		float[] huggingFace = tokens(huggingFace(model), "imagenet_native");

		assertThat(maxAbsDiff(hub, huggingFace)).isLessThanOrEqualTo(1e-5);
	}

	@Test
	void offTheNativeGridOnlyThePlainModelsInterpolateDifferently() throws IOException {
		// Hub reg0 resamples with the +0.1 scale-factor rule, transformers' Dinov2Model
		// to size: the same weights give different features.
		float[] hubPlain = tokens(hub("dinov2_reg0"), "imagenet_alt");
		float[] huggingFacePlain = tokens(huggingFace("dinov2_reg0"), "imagenet_alt");
		// Both register models resample to size with antialiasing.
		float[] hubRegisters = tokens(hub("dinov2_reg4"), "imagenet_alt");
		float[] huggingFaceRegisters = tokens(huggingFace("dinov2_reg4"), "imagenet_alt");

		assertThat(maxAbsDiff(hubPlain, huggingFacePlain)).isGreaterThan(1e-2);
		assertThat(maxAbsDiff(hubRegisters, huggingFaceRegisters)).isLessThanOrEqualTo(1e-5);
	}

	@ParameterizedTest
	@ValueSource(strings = { "dinov2/dinov2_reg0.torch.safetensors", "dinov2/dinov2_reg4.torch.safetensors",
			"timm/timm_vit_plain.weights.safetensors", "timm/timm_vit_reg4.weights.safetensors" })
	void everyParameterEqualsTheTensorOfTheSameName(String checkpoint) throws IOException {
		// Hub and timm keys are phreg's names, except the hub's register_tokens.
		Map<String, String> renames = Map.of("reg_token", "register_tokens");
		try (NDManager manager = NDManager.newBaseManager();
				SafetensorsReader source = SafetensorsReader.open(Fixtures.resolve(checkpoint))) {
			LoadedModel loaded = CheckpointLoader.load(Fixtures.resolve(checkpoint), manager);
			int checked = 0;
			for (Pair<String, Parameter> parameter : loaded.model().getParameters()) {
				String key = source.contains(parameter.getKey()) ? parameter.getKey() : renames.get(parameter.getKey());
				assertParameterEquals(parameter, source.info(key).shape(), source.readFloats(key));
				checked++;
			}
			assertThat(checked).isEqualTo(source.tensors().size() - loaded.ignored().size());
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "dinov2_reg0", "dinov2_reg4" })
	void huggingFaceWeightsLoadAsTheHubWeights(String model) throws IOException {
		try (NDManager manager = NDManager.newBaseManager();
				SafetensorsReader hubFile = SafetensorsReader.open(hub(model));
				SafetensorsReader hfFile = SafetensorsReader.open(huggingFace(model).resolve("model.safetensors"))) {
			LoadedModel loaded = CheckpointLoader.load(huggingFace(model), manager);
			assertThat(loaded.format()).isEqualTo(CheckpointFormat.DINOV2_HF);
			// The fixtures hold the same weights under both namings.
			for (Pair<String, Parameter> parameter : loaded.model().getParameters()) {
				String key = parameter.getKey().equals("reg_token") ? "register_tokens" : parameter.getKey();
				assertParameterEquals(parameter, hubFile.info(key).shape(), hubFile.readFloats(key));
			}
			// Spelled out: query, key and value are stacked in that order into qkv.
			int dim = loaded.model().config().embedDim();
			float[] qkv = loaded.model().getParameters().get("blocks.1.attn.qkv.weight").getArray().toFloatArray();
			String prefix = "encoder.layer.1.attention.attention.";
			assertThat(Arrays.copyOfRange(qkv, 0, dim * dim)).isEqualTo(hfFile.readFloats(prefix + "query.weight"));
			assertThat(Arrays.copyOfRange(qkv, dim * dim, 2 * dim * dim))
				.isEqualTo(hfFile.readFloats(prefix + "key.weight"));
			assertThat(Arrays.copyOfRange(qkv, 2 * dim * dim, 3 * dim * dim))
				.isEqualTo(hfFile.readFloats(prefix + "value.weight"));
			float[] qkvBias = loaded.model().getParameters().get("blocks.1.attn.qkv.bias").getArray().toFloatArray();
			assertThat(Arrays.copyOfRange(qkvBias, 2 * dim, 3 * dim))
				.isEqualTo(hfFile.readFloats(prefix + "value.bias"));
		}
	}

	@Test
	void clipWeightsMapOntoTimmNames() throws IOException {
		Map<String, String> mapping = new LinkedHashMap<>();
		mapping.put("cls_token", "visual.class_embedding");
		mapping.put("pos_embed", "visual.positional_embedding");
		mapping.put("patch_embed.proj.weight", "visual.conv1.weight");
		mapping.put("norm_pre.weight", "visual.ln_pre.weight");
		mapping.put("blocks.2.norm1.bias", "visual.transformer.resblocks.2.ln_1.bias");
		mapping.put("blocks.2.attn.qkv.weight", "visual.transformer.resblocks.2.attn.in_proj_weight");
		mapping.put("blocks.2.attn.qkv.bias", "visual.transformer.resblocks.2.attn.in_proj_bias");
		mapping.put("blocks.2.attn.proj.weight", "visual.transformer.resblocks.2.attn.out_proj.weight");
		mapping.put("blocks.2.norm2.weight", "visual.transformer.resblocks.2.ln_2.weight");
		mapping.put("blocks.2.mlp.fc1.weight", "visual.transformer.resblocks.2.mlp.c_fc.weight");
		mapping.put("blocks.2.mlp.fc2.bias", "visual.transformer.resblocks.2.mlp.c_proj.bias");
		mapping.put("norm.weight", "visual.ln_post.weight");
		mapping.put("proj", "visual.proj");
		try (NDManager manager = NDManager.newBaseManager();
				SafetensorsReader source = SafetensorsReader.open(Fixtures.resolve(CLIP_WEIGHTS))) {
			LoadedModel loaded = CheckpointLoader.load(Fixtures.resolve(CLIP_WEIGHTS), manager);
			Map<String, Parameter> parameters = new LinkedHashMap<>();
			loaded.model().getParameters().forEach((pair) -> parameters.put(pair.getKey(), pair.getValue()));

			// CLIP stores the class token as [W] and the position embedding as [T, W].
			long width = source.info("visual.class_embedding").shape()[0];
			assertThat(parameters.get("cls_token").getArray().getShape()).isEqualTo(new Shape(1, 1, width));
			assertThat(parameters.get("pos_embed").getArray().getShape())
				.isEqualTo(new Shape(1, source.info("visual.positional_embedding").shape()[0], width));
			for (Map.Entry<String, String> entry : mapping.entrySet()) {
				assertThat(parameters.get(entry.getKey()).getArray().toFloatArray()).as(entry.getKey())
					.isEqualTo(source.readFloats(entry.getValue()));
			}
			// Nothing was left out or loaded twice.
			long stored = source.tensors().stream().mapToLong(TensorInfo::elementCount).sum();
			assertThat(loaded.parameterCount()).isEqualTo(stored);
			assertThat(loaded.ignored()).isEmpty();
		}
	}

	@ParameterizedTest
	@EnumSource(value = DType.class, names = { "F16", "BF16" })
	void halfPrecisionCheckpointsLoadCloseToFloat32(DType dtype) throws IOException {
		Path original = hub("dinov2_reg4");
		Path half = this.dir.resolve("dinov2_reg4.torch.safetensors");
		rewrite(original, half,
				(tensors) -> tensors.stream()
					.map((tensor) -> TensorData.ofFloats(tensor.name(), tensor.shape(), floats(tensor), dtype))
					.toList());
		copySidecar(DINOV2 + "dinov2_reg4.config.json");

		float[] reference = tokens(original, "imagenet_alt");
		float[] converted = tokens(half, "imagenet_alt");

		try (SafetensorsReader reader = SafetensorsReader.open(half)) {
			assertThat(reader.tensors()).allMatch((info) -> info.dtype() == dtype);
		}
		double relative = maxAbsDiff(reference, converted) / maxAbs(reference);
		// Rounding the weights moves the features: not bit-identical, so the values
		// really went through the narrow type, yet close (F16 keeps 11 significant bits,
		// BF16 8).
		assertThat(relative).isGreaterThan(0).isLessThanOrEqualTo((dtype == DType.F16) ? 2e-3 : 2e-2);
	}

	@Test
	void shardedCheckpointsLoadAsOne() throws IOException {
		Path source = huggingFace("dinov2_reg4");
		Path sharded = Files.createDirectory(this.dir.resolve("sharded"));
		List<TensorData> tensors = readAll(source.resolve("model.safetensors"));
		int half = tensors.size() / 2;
		SafetensorsWriter.write(sharded.resolve("model-00001-of-00002.safetensors"), Map.of("format", "pt"),
				tensors.subList(0, half));
		SafetensorsWriter.write(sharded.resolve("model-00002-of-00002.safetensors"), Map.of("format", "pt"),
				tensors.subList(half, tensors.size()));
		Files.copy(source.resolve("config.json"), sharded.resolve("config.json"));

		assertThat(tokens(sharded, "imagenet_alt")).isEqualTo(tokens(source, "imagenet_alt"));
	}

	@Test
	void refusesAFolderOfUnrelatedFiles() throws IOException {
		Path folder = Files.createDirectory(this.dir.resolve("mixed"));
		Files.copy(hub("dinov2_reg0"), folder.resolve("first.safetensors"));
		Files.copy(hub("dinov2_reg4"), folder.resolve("second.safetensors"));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder))
			.withMessageContaining("unrelated")
			.withMessageContaining("first.safetensors")
			.withMessageContaining("second.safetensors");
	}

	@Test
	void refusesAnIncompleteShardSet() throws IOException {
		// A shard set missing its last shard could lose whole trailing blocks and still
		// look like a shallower model.
		Path folder = Files.createDirectory(this.dir.resolve("incomplete"));
		List<TensorData> tensors = readAll(hub("dinov2_reg0"));
		SafetensorsWriter.write(folder.resolve("model-00001-of-00003.safetensors"), null, tensors.subList(0, 10));
		SafetensorsWriter.write(folder.resolve("model-00002-of-00003.safetensors"), null,
				tensors.subList(10, tensors.size()));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder))
			.withMessageContaining("model-00003-of-00003.safetensors");
	}

	@Test
	void refusesATensorStoredInTwoShards() throws IOException {
		Path folder = Files.createDirectory(this.dir.resolve("overlapping"));
		List<TensorData> tensors = readAll(hub("dinov2_reg0"));
		SafetensorsWriter.write(folder.resolve("model-00001-of-00002.safetensors"), null, tensors.subList(0, 10));
		SafetensorsWriter.write(folder.resolve("model-00002-of-00002.safetensors"), null,
				tensors.subList(9, tensors.size()));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder))
			.withMessageContaining(tensors.get(9).name())
			.withMessageContaining("more than one shard");
	}

	@Test
	void refusesKeysOfNoKnownFamilyListingThemAndTheFamilies() throws IOException {
		Path file = this.dir.resolve("resnet.safetensors");
		SafetensorsWriter.write(file, null,
				List.of(TensorData.ofFloats("conv_stem.weight", new long[] { 2, 2 }, new float[4], DType.F32),
						TensorData.ofFloats("fc.bias", new long[] { 3 }, new float[3], DType.F32)));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(file))
			.withMessageContaining(file.toString())
			.withMessageContaining("conv_stem.weight")
			.withMessageContaining("fc.bias")
			.satisfies((ex) -> {
				for (CheckpointFormat format : CheckpointFormat.values()) {
					assertThat(ex.getMessage()).contains(format.description());
				}
			});
	}

	@Test
	void refusesAnUnknownExtraKeyNamingIt() throws IOException {
		Path file = deriveHub("dinov2_reg0", (tensors) -> {
			List<TensorData> edited = new ArrayList<>(tensors);
			edited.add(TensorData.ofFloats("blocks.0.attn.rel_pos_h", new long[] { 3, 32 }, new float[96], DType.F32));
			return edited;
		});

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(file))
			.withMessageContaining("blocks.0.attn.rel_pos_h");
	}

	@Test
	void refusesAMissingKeyNamingIt() throws IOException {
		Path file = deriveHub("dinov2_reg0",
				(tensors) -> tensors.stream()
					.filter((tensor) -> !tensor.name().equals("blocks.1.mlp.fc2.bias"))
					.toList());

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(file))
			.withMessageContaining("blocks.1.mlp.fc2.bias");
	}

	@Test
	void refusesAMissingHuggingFaceProjectionNamingIt() throws IOException {
		Path folder = Files.createDirectory(this.dir.resolve("hf"));
		String missing = "encoder.layer.2.attention.attention.key.weight";
		rewrite(huggingFace("dinov2_reg4").resolve("model.safetensors"), folder.resolve("model.safetensors"),
				(tensors) -> tensors.stream().filter((tensor) -> !tensor.name().equals(missing)).toList());
		Files.copy(huggingFace("dinov2_reg4").resolve("config.json"), folder.resolve("config.json"));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder))
			.withMessageContaining(missing);
	}

	@Test
	void refusesAWrongShapeNamingTheParameterAndBothShapes() throws IOException {
		String name = "blocks.1.mlp.fc2.weight";
		long[] shape;
		try (SafetensorsReader reader = SafetensorsReader.open(hub("dinov2_reg0"))) {
			shape = reader.info(name).shape();
		}
		long[] wrong = { shape[0], shape[1] - 1 };
		Path file = deriveHub("dinov2_reg0", (tensors) -> tensors.stream()
			.map((tensor) -> tensor.name().equals(name)
					? TensorData.ofFloats(name, wrong, new float[(int) (wrong[0] * wrong[1])], DType.F32) : tensor)
			.toList());

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(file))
			.withMessageContaining(name)
			.withMessageContaining(Arrays.toString(wrong))
			.withMessageContaining("(" + shape[0] + ", " + shape[1] + ")");
	}

	/**
	 * Cut inside the 8-byte header length, inside the JSON header, and inside the tensor
	 * data (half the file, whatever the fixture set's sizes).
	 */
	@ParameterizedTest
	@ValueSource(strings = { "header length", "header", "data" })
	void refusesATruncatedFileNamingIt(String cutInside) throws IOException {
		Path file = this.dir.resolve("dinov2_reg0.torch.safetensors");
		Files.copy(hub("dinov2_reg0"), file);
		copySidecar(DINOV2 + "dinov2_reg0.config.json");
		long headerLength;
		try (SeekableByteChannel channel = Files.newByteChannel(file)) {
			ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			channel.read(length);
			headerLength = length.getLong(0);
		}
		long keptBytes = switch (cutInside) {
			case "header length" -> 4;
			case "header" -> 8 + headerLength / 2;
			default -> (8 + headerLength + Files.size(file)) / 2;
		};
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
			channel.truncate(keptBytes);
		}

		// An IOException like any other unreadable file, more precisely a format error.
		assertThatExceptionOfType(SafetensorsFormatException.class).isThrownBy(() -> load(file))
			.withMessageContaining(file.toString());
	}

	@Test
	void refusesAPathThatDoesNotExist() {
		Path missing = this.dir.resolve("no-such-checkpoint.safetensors");

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(missing))
			.withMessageContaining(missing.toString());
	}

	@Test
	void clipTextTowerIsIgnoredWithItsReason() throws IOException {
		// given: the visual tower plus the text tower of a whole CLIP model
		List<TensorData> text = List.of(
				TensorData.ofFloats("token_embedding.weight", new long[] { 50, 32 }, ramp(50 * 32), DType.F32),
				TensorData.ofFloats("positional_embedding", new long[] { 7, 32 }, ramp(7 * 32), DType.F32),
				TensorData.ofFloats("transformer.resblocks.0.attn.in_proj_weight", new long[] { 96, 32 }, ramp(96 * 32),
						DType.F32),
				TensorData.ofFloats("transformer.resblocks.0.ln_1.weight", new long[] { 32 }, ramp(32), DType.F32),
				TensorData.ofFloats("ln_final.weight", new long[] { 32 }, ramp(32), DType.F32),
				TensorData.ofFloats("text_projection", new long[] { 32, 64 }, ramp(32 * 64), DType.F32),
				TensorData.ofFloats("logit_scale", new long[0], new float[] { 4.6052f }, DType.F32));
		Path file = this.dir.resolve("clip_full.safetensors");
		rewrite(Fixtures.resolve(CLIP_WEIGHTS), file, (tensors) -> {
			List<TensorData> all = new ArrayList<>(tensors);
			all.addAll(text);
			return all;
		});

		// when
		Features full;
		Map<String, String> ignored;
		try (NDManager manager = NDManager.newBaseManager()) {
			// No config beside the copy: the heads are given instead.
			LoadedModel loaded = CheckpointLoader.load(file, manager, LoadOptions.DEFAULTS.withHeads(2));
			ignored = loaded.ignored();
			full = features(loaded, manager, "clip");
		}

		// then
		assertThat(ignored.keySet()).containsExactlyInAnyOrderElementsOf(text.stream().map(TensorData::name).toList());
		assertThat(ignored.values()).allSatisfy((reason) -> assertThat(reason).contains("text tower"));
		Features visualOnly = features(Fixtures.resolve(CLIP_WEIGHTS), "clip");
		assertThat(full.tokens()).isEqualTo(visualOnly.tokens());
		assertThat(full.projected()).isEqualTo(visualOnly.projected());
	}

	@Test
	void openClipSidecarWithoutQuickGeluSelectsExactGelu() throws IOException {
		Path file = this.dir.resolve("clip_vit.weights.safetensors");
		Files.copy(Fixtures.resolve(CLIP_WEIGHTS), file);
		Files.writeString(this.dir.resolve("open_clip_config.json"),
				"{\"model_cfg\": {\"quick_gelu\": false, \"vision_cfg\": {\"head_width\": 64}}}");

		Features gelu;
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel loaded = CheckpointLoader.load(file, manager);
			assertThat(loaded.model().config().activation()).isEqualTo(MlpActivation.GELU);
			gelu = features(loaded, manager, "clip");
		}

		try (SafetensorsReader reference = SafetensorsReader
			.open(Fixtures.resolve("clip/clip_vit.outputs.safetensors"))) {
			float[] geluEmbeds = reference.readFloats("gelu_exact.image_embeds");
			float[] quickGeluEmbeds = reference.readFloats("image_embeds");
			assertClose(gelu.projected(), geluEmbeds);
			assertClose(gelu.patchTokens(), reference.readFloats("gelu_exact.ln_post_patch_tokens"));
			// The two activations are far enough apart for the check above to tell them
			// apart.
			assertThat(maxAbsDiff(geluEmbeds, quickGeluEmbeds)).isGreaterThan(1e-2);
			// Without the sidecar the same weights keep OpenAI's QuickGELU.
			assertClose(features(Fixtures.resolve(CLIP_WEIGHTS), "clip").projected(), quickGeluEmbeds);
		}
	}

	private static void load(Path location) throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			CheckpointLoader.load(location, manager);
		}
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|',
			textBlock = """
					{"model_cfg": {"embed_dim": 64, "vision_cfg": {"width": 128, "layers": 3, "patch_size": 16, "head_width": 64}}} | GELU
					{"model_cfg": {"embed_dim": 64, "quick_gelu": false, "vision_cfg": {"head_width": 64}}}                       | GELU
					{"model_cfg": {"embed_dim": 64, "quick_gelu": true, "vision_cfg": {"head_width": 64}}}                        | QUICK_GELU
					""")
	void openClipHubFolderFollowsItsOpenClipConfig(String openClipConfig, MlpActivation expected) throws IOException {
		// given: an OpenCLIP Hugging Face repository, which also ships transformers'
		// config.json; OpenCLIP builds exact GELU unless its config asks for QuickGELU
		Path folder = Files.createDirectory(this.dir.resolve("open_clip"));
		Path file = folder.resolve("open_clip_model.safetensors");
		Files.copy(Fixtures.resolve(CLIP_WEIGHTS), file);
		Files.writeString(folder.resolve("open_clip_config.json"), openClipConfig);
		Files.writeString(folder.resolve("config.json"),
				"{\"model_type\": \"clip\", \"vision_config\": {\"hidden_act\": \"gelu\", \"hidden_size\": 128}}");

		// when
		Features features;
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel loaded = CheckpointLoader.load(file, manager);
			assertThat(loaded.model().config().activation()).isEqualTo(expected);
			features = features(loaded, manager, "clip");
		}

		// then
		try (SafetensorsReader reference = SafetensorsReader
			.open(Fixtures.resolve("clip/clip_vit.outputs.safetensors"))) {
			String prefix = (expected == MlpActivation.GELU) ? "gelu_exact." : "";
			assertClose(features.projected(), reference.readFloats(prefix + "image_embeds"));
		}
	}

	/** All tokens after the final norm for a fixture input. */
	private static float[] tokens(Path checkpoint, String input) throws IOException {
		return features(checkpoint, input).tokens();
	}

	private static Features features(Path checkpoint, String input) throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			return features(CheckpointLoader.load(checkpoint, manager), manager, input);
		}
	}

	private static Features features(LoadedModel loaded, NDManager manager, String input) throws IOException {
		try (NDManager step = manager.newSubManager();
				SafetensorsReader inputs = SafetensorsReader.open(Fixtures.resolve("image/inputs.safetensors"))) {
			String name = input + ".pixel_values";
			NDArray pixels = step.create(inputs.readFloats(name), new Shape(inputs.info(name).shape()));
			ViTOutput output = loaded.model().forward(new ParameterStore(step, false), pixels, false, false);
			NDArray projected = output.projectedClassToken();
			return new Features(output.tokens().toFloatArray(), output.patchTokens().toFloatArray(),
					(projected != null) ? projected.toFloatArray() : null);
		}
	}

	private static Path hub(String model) {
		return Fixtures.resolve(DINOV2 + model + ".torch.safetensors");
	}

	private static Path huggingFace(String model) {
		return Fixtures.resolve(DINOV2 + model + ".hf");
	}

	/** An edited copy of a hub checkpoint with its sidecar config beside it. */
	private Path deriveHub(String model, UnaryOperator<List<TensorData>> edit) throws IOException {
		Path file = this.dir.resolve(model + ".torch.safetensors");
		rewrite(hub(model), file, edit);
		copySidecar(DINOV2 + model + ".config.json");
		return file;
	}

	private void copySidecar(String relative) throws IOException {
		Path sidecar = Fixtures.resolve(relative);
		Files.copy(sidecar, this.dir.resolve(sidecar.getFileName().toString()));
	}

	private static void rewrite(Path source, Path target, UnaryOperator<List<TensorData>> edit) throws IOException {
		Map<String, String> metadata;
		try (SafetensorsReader reader = SafetensorsReader.open(source)) {
			metadata = reader.metadata();
		}
		SafetensorsWriter.write(target, metadata, edit.apply(readAll(source)));
	}

	/** Every tensor of a file, copied into the heap so the source can be closed. */
	private static List<TensorData> readAll(Path file) throws IOException {
		List<TensorData> tensors = new ArrayList<>();
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			for (TensorInfo info : reader.tensors()) {
				tensors
					.add(TensorData.ofFloats(info.name(), info.shape(), reader.readFloats(info.name()), info.dtype()));
			}
		}
		return tensors;
	}

	private static float[] floats(TensorData tensor) {
		assertThat(tensor.dtype()).isEqualTo(DType.F32);
		float[] values = new float[Math.toIntExact(tensor.elementCount())];
		tensor.bytes().asFloatBuffer().get(values);
		return values;
	}

	private static float[] ramp(int count) {
		float[] values = new float[count];
		for (int i = 0; i < count; i++) {
			values[i] = (i % 17) * 0.01f;
		}
		return values;
	}

	private static void assertParameterEquals(Pair<String, Parameter> parameter, long[] shape, float[] values) {
		NDArray array = parameter.getValue().getArray();
		assertThat(array.getShape().size()).as("%s size", parameter.getKey()).isEqualTo(values.length);
		if (shape.length == array.getShape().dimension()) {
			assertThat(array.getShape().getShape()).as("%s shape", parameter.getKey()).isEqualTo(shape);
		}
		assertThat(array.toFloatArray()).as(parameter.getKey()).isEqualTo(values);
	}

	/** The fixture set's recommended atol 1e-4 + rtol 1e-4. */
	private static void assertClose(float[] actual, float[] expected) {
		assertThat(actual).hasSameSizeAs(expected);
		for (int i = 0; i < expected.length; i++) {
			assertThat(Math.abs(actual[i] - expected[i])).as("element %d", i)
				.isLessThanOrEqualTo(1e-4f + 1e-4f * Math.abs(expected[i]));
		}
	}

	private record Features(float[] tokens, float[] patchTokens, float[] projected) {
	}

}
