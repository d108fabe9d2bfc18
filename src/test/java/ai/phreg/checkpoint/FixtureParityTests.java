package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.checkpoint.safetensors.TensorInfo;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.ViTOutput;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every model, checkpoint form and reference run listed in the fixture set's
 * {@code manifest.json} reproduces the upstream PyTorch outputs at atol 1e-4 + rtol 1e-4.
 * The models, checkpoints, inputs and outputs are discovered from the manifest and the
 * fixture folder, so the same tests run on any fixture set of the same layout
 * ({@code PHREG_FIXTURES}).
 */
class FixtureParityTests {

	private static final double ATOL = 1e-4;

	private static final double RTOL = 1e-4;

	private static final String ROPE = "rope.";

	/**
	 * Reference output names (after the run prefix) and the part of our output they pin
	 * down.
	 */
	private static final Map<String, Function<ViTOutput, NDArray>> OUTPUTS = Map.ofEntries(
			Map.entry("patch_embed", ViTOutput::patchEmbeddings),
			Map.entry("pos_embed_used", ViTOutput::positionEmbedding), Map.entry("embeddings", ViTOutput::embeddings),
			Map.entry("x_prenorm", ViTOutput::prenormTokens), Map.entry("last_hidden_state", ViTOutput::tokens),
			Map.entry("forward_features", ViTOutput::tokens), Map.entry("ln_post_tokens", ViTOutput::tokens),
			Map.entry("x_norm_clstoken", ViTOutput::classToken), Map.entry("pre_logits", ViTOutput::classToken),
			Map.entry("ln_post_cls", ViTOutput::classToken), Map.entry("x_norm_regtokens", ViTOutput::registerTokens),
			Map.entry("x_storage_tokens", ViTOutput::registerTokens), Map.entry("pooled", ViTOutput::pooled),
			Map.entry("x_norm_patchtokens", ViTOutput::patchTokens),
			Map.entry("ln_post_patch_tokens", ViTOutput::patchTokens),
			Map.entry("image_embeds", ViTOutput::projectedClassToken));

	@TestFactory
	Stream<DynamicTest> everyCheckpointFormReproducesEveryReferenceRun() throws IOException {
		List<DynamicTest> tests = new ArrayList<>();
		for (Path root : Fixtures.roots()) {
			tests.addAll(testsOf(root));
		}
		return tests.stream();
	}

	/**
	 * One test per checkpoint form and reference run of one fixture set. A checkpoint
	 * phreg cannot load becomes one failing test, so an unsupported family shows up as a
	 * failure rather than disappearing from the list.
	 */
	private static List<DynamicTest> testsOf(Path root) throws IOException {
		JsonNode manifest = JsonMapper.builder().build().readTree(root.resolve("manifest.json").toFile());
		List<DynamicTest> tests = new ArrayList<>();
		for (Map.Entry<String, JsonNode> model : manifest.path("runs").properties()) {
			Path outputs = root.resolve(model.getValue().path("outputs").asString());
			List<Path> checkpoints = checkpointsOf(root, model.getKey(), model.getValue(), outputs);
			assertThat(checkpoints).as("checkpoints of fixture model %s beside %s", model.getKey(), outputs)
				.isNotEmpty();
			List<Run> runs = new ArrayList<>();
			for (JsonNode run : model.getValue().path("runs")) {
				runs.add(new Run(run.path("prefix").asString(), run.path("input").asString(),
						run.path("variant").asString("")));
			}
			for (Path checkpoint : checkpoints) {
				String name = root.getFileName() + "/" + checkpoint.getFileName();
				CheckpointFormat format;
				try {
					format = formatOf(checkpoint);
				}
				catch (IOException ex) {
					tests.add(DynamicTest.dynamicTest(name + " loads",
							() -> fail("%s cannot be loaded: %s", checkpoint, ex.getMessage())));
					continue;
				}
				int before = tests.size();
				for (Run run : runs) {
					if (run.appliesTo(format, runs)) {
						tests.add(DynamicTest.dynamicTest(name + " " + run,
								() -> assertRunMatches(root, checkpoint, outputs, run, runs)));
					}
				}
				assertThat(tests.size()).as("reference runs checked for %s", checkpoint).isGreaterThan(before);
			}
		}
		assertThat(tests).as("parity tests of %s", root).isNotEmpty();
		return tests;
	}

	/**
	 * The parity check is sharp enough to catch one wrongly mapped key: for each model,
	 * two distinct tensors of the same shape in its first block (such as a gate and a
	 * value projection, or a LayerNorm's weight and bias) are swapped in a copy of its
	 * first single-file checkpoint, and the reference run must then fail.
	 */
	@TestFactory
	Stream<DynamicTest> swappingTwoTensorsOfOneBlockBreaksParity(@TempDir Path temp) throws IOException {
		List<DynamicTest> tests = new ArrayList<>();
		for (Path root : Fixtures.roots()) {
			JsonNode manifest = JsonMapper.builder().build().readTree(root.resolve("manifest.json").toFile());
			for (Map.Entry<String, JsonNode> model : manifest.path("runs").properties()) {
				Path outputs = root.resolve(model.getValue().path("outputs").asString());
				Path checkpoint = checkpointsOf(root, model.getKey(), model.getValue(), outputs).stream()
					.filter(Files::isRegularFile)
					.findFirst()
					.orElseThrow();
				JsonNode first = model.getValue().path("runs").get(0);
				Run run = new Run(first.path("prefix").asString(), first.path("input").asString(),
						first.path("variant").asString(""));
				tests.add(DynamicTest.dynamicTest(root.getFileName() + "/" + checkpoint.getFileName(), () -> {
					Path swapped = swappedCopy(checkpoint, temp.resolve(root.getFileName() + "-" + model.getKey()));
					assertThatExceptionOfType(AssertionError.class)
						.isThrownBy(() -> assertRunMatches(root, swapped, outputs, run, List.of(run)));
				}));
			}
		}
		return tests.stream();
	}

	/**
	 * A copy of {@code checkpoint} (with its configs) in {@code folder} where the first
	 * two differing same-shaped tensors of block 0 trade places.
	 */
	private static Path swappedCopy(Path checkpoint, Path folder) throws IOException {
		Files.createDirectories(folder);
		try (Stream<Path> siblings = Files.list(checkpoint.getParent())) {
			for (Path config : siblings.filter((path) -> path.getFileName().toString().endsWith(".config.json"))
				.toList()) {
				Files.copy(config, folder.resolve(config.getFileName()));
			}
		}
		List<TensorInfo> infos;
		List<float[]> values = new ArrayList<>();
		try (SafetensorsReader reader = SafetensorsReader.open(checkpoint)) {
			infos = List.copyOf(reader.tensors());
			for (TensorInfo info : infos) {
				values.add(reader.readFloats(info.name()));
			}
		}
		for (int i = 0; i < infos.size(); i++) {
			for (int j = i + 1; j < infos.size(); j++) {
				if (blockZero(infos.get(i).name()) && blockZero(infos.get(j).name())
						&& Arrays.equals(infos.get(i).shape(), infos.get(j).shape())
						&& !Arrays.equals(values.get(i), values.get(j))) {
					values.set(i, values.set(j, values.get(i)));
					List<TensorData> tensors = new ArrayList<>();
					for (int k = 0; k < infos.size(); k++) {
						TensorInfo info = infos.get(k);
						tensors.add(TensorData.ofFloats(info.name(), info.shape(), values.get(k), info.dtype()));
					}
					Path swapped = folder.resolve(checkpoint.getFileName());
					SafetensorsWriter.write(swapped, Map.of("format", "pt"), tensors);
					return swapped;
				}
			}
		}
		throw new AssertionError("No two differing tensors of the same shape in the first block of " + checkpoint);
	}

	private static boolean blockZero(String name) {
		return name.matches("(.*\\.)?(blocks|layers?|resblocks)\\.0\\..*");
	}

	private static CheckpointFormat formatOf(Path checkpoint) throws IOException {
		try (StateDict dict = StateDict.open(checkpoint)) {
			return CheckpointLoader.convert(dict).format();
		}
	}

	/**
	 * The manifest's weight files of a model ({@code weights}, one per key format, a
	 * Hugging Face file standing for its folder); for sets whose manifest does not list
	 * them, the files and folders named {@code <model>.*} beside the outputs, other than
	 * outputs and configs.
	 */
	private static List<Path> checkpointsOf(Path root, String model, JsonNode entry, Path outputs) throws IOException {
		if (entry.has("weights")) {
			List<Path> listed = new ArrayList<>();
			for (Map.Entry<String, JsonNode> weights : entry.path("weights").properties()) {
				Path file = root.resolve(weights.getValue().asString());
				listed.add(file.getFileName().toString().equals("model.safetensors") ? file.getParent() : file);
			}
			return listed;
		}
		try (Stream<Path> siblings = Files.list(outputs.getParent())) {
			return siblings.filter((path) -> path.getFileName().toString().startsWith(model + "."))
				.filter((path) -> !path.equals(outputs) && !path.getFileName().toString().endsWith(".config.json"))
				.sorted()
				.toList();
		}
	}

	private static void assertRunMatches(Path root, Path checkpoint, Path outputs, Run run, List<Run> allRuns)
			throws IOException {
		try (NDManager manager = NDManager.newBaseManager();
				SafetensorsReader reference = SafetensorsReader.open(outputs);
				SafetensorsReader inputs = SafetensorsReader.open(root.resolve("image/inputs.safetensors"))) {
			LoadedModel loaded = CheckpointLoader.load(checkpoint, manager, run.adjustment());
			NDArray pixels = array(manager, inputs, run.input() + ".pixel_values");
			ViTOutput output = loaded.model().forward(new ParameterStore(manager, false), pixels, false, true);
			int compared = 0;
			for (String name : reference.names()) {
				if (!run.owns(name, allRuns)) {
					continue;
				}
				String outputName = name.substring(run.prefix().length());
				NDArray actual;
				if (outputName.startsWith(ROPE)) {
					actual = rotaryTable(loaded, manager, output, outputName.substring(ROPE.length()));
				}
				else if (outputName.equals("map_attn_out")) {
					// The pooling head's attention output, before its MLP.
					actual = loaded.model()
						.mapHead()
						.attend(new ParameterStore(manager, false), output.tokens(), false);
				}
				else {
					actual = select(output, outputName);
				}
				NDArray expected = array(manager, reference, name);
				if (outputName.equals("pos_embed_used") && !loaded.model().config().classTokenPositioned()
						&& expected.getShape().get(1) == actual.getShape().get(1) + 1) {
					// timm's no_embed_class layout folds the class row into cls_token:
					// only the patch rows are a position embedding there.
					expected = expected.get(":, 1:, :");
				}
				assertClose(checkpoint.getFileName() + " " + name, actual, expected);
				compared++;
			}
			assertThat(compared).as("reference tensors compared for %s", run).isPositive();
		}
	}

	/**
	 * The rotary table ({@code sin} or {@code cos}) the model used for the input's grid.
	 */
	private static NDArray rotaryTable(LoadedModel loaded, NDManager manager, ViTOutput output, String which) {
		NDList tables = loaded.model().rotaryTables(manager, output.gridHeight(), output.gridWidth());
		assertThat(tables).as("rotary tables of %s", loaded.origin()).hasSize(2);
		return tables.get(which.equals("sin") ? 0 : 1);
	}

	private static NDArray select(ViTOutput output, String name) {
		if (name.startsWith("hidden_states.")) {
			int index = Integer.parseInt(name.substring("hidden_states.".length()));
			return output.hiddenStates().get(index);
		}
		Function<ViTOutput, NDArray> accessor = OUTPUTS.get(name);
		if (accessor == null) {
			fail("No model output corresponds to reference tensor '%s'", name);
		}
		return accessor.apply(output);
	}

	private static NDArray array(NDManager manager, SafetensorsReader reader, String name) throws IOException {
		return manager.create(reader.readFloats(name), new Shape(reader.info(name).shape()));
	}

	private static void assertClose(String what, NDArray actual, NDArray expected) {
		assertThat(actual).as("%s produced by the model", what).isNotNull();
		assertThat(actual.getShape()).as("%s shape", what).isEqualTo(expected.getShape());
		NDArray excess = actual.sub(expected).abs().sub(expected.abs().mul(RTOL)).sub(ATOL);
		float worst = excess.max().getFloat();
		float maxDiff = actual.sub(expected).abs().max().getFloat();
		assertThat(worst).as("%s: max |Δ| %s exceeds atol %s + rtol %s", what, maxDiff, ATOL, RTOL)
			.isLessThanOrEqualTo(0f);
	}

	/**
	 * One reference run of the manifest. A variant names how the same weights were run
	 * differently: another MLP activation, or Hugging Face's interpolation rule, which
	 * replaces the plain run of the same input for checkpoints in Hugging Face format.
	 */
	private record Run(String prefix, String input, String variant) {

		private static final String HF_INTERPOLATION = "hf_transformers_interpolation";

		UnaryOperator<ViTConfig> adjustment() {
			String lower = this.variant.toLowerCase(Locale.ROOT);
			if (lower.startsWith("activation=gelu")) {
				return (config) -> config.toBuilder().optActivation(MlpActivation.GELU).build();
			}
			if (this.variant.startsWith("activation=QuickGELU")) {
				return (config) -> config.toBuilder().optActivation(MlpActivation.QUICK_GELU).build();
			}
			if (this.variant.isEmpty() || this.variant.startsWith(HF_INTERPOLATION)) {
				return UnaryOperator.identity();
			}
			throw new IllegalStateException("Unknown fixture run variant '" + this.variant + "'");
		}

		boolean appliesTo(CheckpointFormat format, List<Run> allRuns) {
			// Hugging Face formats are the ones named *_HF.
			boolean huggingFace = format.name().endsWith("_HF");
			if (this.variant.startsWith(HF_INTERPOLATION)) {
				return huggingFace;
			}
			boolean replacedForHuggingFace = allRuns.stream()
				.anyMatch((other) -> other.input.equals(this.input) && other.variant.startsWith(HF_INTERPOLATION));
			return !(huggingFace && replacedForHuggingFace);
		}

		/**
		 * Whether a reference tensor belongs to this run rather than to a run with a
		 * longer prefix.
		 */
		boolean owns(String name, List<Run> allRuns) {
			return name.startsWith(this.prefix) && allRuns.stream()
				.noneMatch((other) -> other.prefix.length() > this.prefix.length() && name.startsWith(other.prefix));
		}

		@Override
		public String toString() {
			return "run '" + this.prefix + "' on " + this.input
					+ (this.variant.isEmpty() ? "" : " (" + this.variant + ")");
		}

	}

}
