package ai.phreg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadOptions;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.image.ImageLoader;
import ai.phreg.image.Preprocessing;
import ai.phreg.metrics.ArtifactSummary;
import ai.phreg.metrics.PatchFeatures;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.ViTOutput;

/**
 * {@code phreg inspect PATH [--heads N] [--image FILE] [--size PIXELS]}: reads a
 * checkpoint file or folder and prints its detected family, architecture and parameter
 * count; given an image, also the norms of the output tokens, where artifact tokens show
 * up as a high-norm tail. {@code --heads} gives the number of attention heads of a
 * checkpoint whose config does not say.
 */
final class InspectCommand implements Command {

	static final CommandOptions OPTIONS = CommandOptions
		.command("inspect", "prints a checkpoint's family, config and parameter count, and its token norms on an image")
		.positional("PATH", "a safetensors checkpoint file or folder")
		.flag("--heads", "N", "attention heads, for a checkpoint whose config does not say (never guessed)")
		.flag("--image", "FILE", "a JPEG or PNG image: prints the norms of the output tokens")
		.flag("--size", "PIXELS", "the square input size for --image (default: the model's own)");

	@Override
	public CommandOptions options(String[] args) {
		return OPTIONS;
	}

	/**
	 * Runs the command; returns the process exit code (0 success, 1 bad checkpoint or
	 * image, 2 usage).
	 */
	@Override
	public int run(CommandOptions.Parsed arguments, PrintStream out, PrintStream err) {
		Path checkpoint = Path.of(arguments.positional(0));
		Path image = arguments.path("--image");
		Integer size = arguments.integer("--size");
		LoadOptions options = LoadOptions.DEFAULTS;
		if (arguments.has("--heads")) {
			try {
				options = options.withHeads(arguments.integer("--heads"));
			}
			catch (IllegalArgumentException ex) {
				throw arguments.invalid("--heads", ex.getMessage());
			}
		}
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel loaded = CheckpointLoader.load(checkpoint, manager, options);
			describe(loaded, out);
			if (image != null) {
				printTokenNorms(loaded, image, size, manager, out);
			}
			return SUCCESS;
		}
		catch (IOException | RuntimeException ex) {
			err.println("phreg inspect: " + ex.getMessage());
			return FAILURE;
		}
	}

	private static void describe(LoadedModel loaded, PrintStream out) {
		ViTConfig config = loaded.model().config();
		out.println("checkpoint: " + loaded.origin());
		out.println("family: " + loaded.format() + " (" + loaded.format().description() + ")");
		out.println("config: " + config);
		out.println("registers: " + config.numRegisters());
		out.printf("parameters: %,d in %d tensors%n", loaded.parameterCount(), loaded.model().parameterShapes().size());
		Map<String, Long> ignoredByReason = new TreeMap<>();
		loaded.ignored().values().forEach((reason) -> ignoredByReason.merge(reason, 1L, Long::sum));
		ignoredByReason.forEach((reason, count) -> out.println("ignored: " + count + " tensors, " + reason));
		out.println("normalization: mean " + Arrays.toString(loaded.normalization().mean()) + " std "
				+ Arrays.toString(loaded.normalization().std()));
	}

	private static void printTokenNorms(LoadedModel loaded, Path image, Integer size, NDManager manager,
			PrintStream out) throws IOException {
		int side = (size != null) ? size : loaded.model().config().imageSize();
		Preprocessing preprocessing = Preprocessing.square(side, loaded.normalization());
		try (NDManager step = manager.newSubManager()) {
			NDArray pixels = preprocessing.toPixelTensor(step, ImageLoader.read(image));
			ViTOutput output = loaded.model().forward(new ParameterStore(step, false), pixels, false, false);
			out.println("image: " + image + " at " + side + "x" + side + " (" + output.gridHeight() + "x"
					+ output.gridWidth() + " patches)");
			printNorms("patch tokens", output.patchTokens(), out);
			printNorms("class token", output.classToken(), out);
			if (output.registerTokens() != null) {
				printNorms("register tokens", output.registerTokens(), out);
			}
			printArtifacts(output, out);
		}
	}

	private static void printNorms(String what, NDArray tokens, PrintStream out) {
		float[] norms = tokens.norm(new int[] { -1 }).flatten().toFloatArray();
		Arrays.sort(norms);
		float median = (norms.length % 2 == 1) ? norms[norms.length / 2]
				: (norms[norms.length / 2 - 1] + norms[norms.length / 2]) / 2;
		out.printf("%s norms: min %.4f median %.4f max %.4f (%d tokens)%n", what, norms[0], median,
				norms[norms.length - 1], norms.length);
	}

	/**
	 * The artifact figures of the patch tokens on this one image: the outlier threshold
	 * is the valley of their own norm histogram, which one image may not show even with
	 * artifacts: the max/median norm ratio (about 1-3 clean, near 10 with artifacts)
	 * tells then.
	 */
	private static void printArtifacts(ViTOutput output, PrintStream out) {
		float[] values = output.patchTokens().flatten().toFloatArray();
		ArtifactSummary summary = ArtifactSummary
			.measure(List.of(PatchFeatures.of(values, output.gridHeight(), output.gridWidth())));
		String outliers = (summary.threshold() != null)
				? String.format(Locale.ROOT, "%.2f%% of patch tokens above the norm threshold %.2f",
						100 * summary.outlierFraction(), summary.threshold())
				: "no outlier threshold (no valley in this image's patch-token norms)";
		out.printf(Locale.ROOT, "artifacts: %s; max/median norm %.2f, norm variance %.4g, neighbour cosine %.3f%n",
				outliers, summary.maxToMedianRatio(), summary.normVariance(), summary.neighbourCosine());
	}

}
