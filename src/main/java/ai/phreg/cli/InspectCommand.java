package ai.phreg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
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
import ai.phreg.model.ViTConfig;
import ai.phreg.model.ViTOutput;

/**
 * {@code phreg inspect PATH [--heads N] [--image FILE] [--size PIXELS]}: reads a
 * checkpoint file or folder and prints its detected family, architecture and parameter
 * count; given an image, also the norms of the output tokens, where artifact tokens show
 * up as a high-norm tail. {@code --heads} gives the number of attention heads of a
 * checkpoint whose config does not say.
 */
public final class InspectCommand {

	static final String USAGE = "usage: phreg inspect PATH [--heads N] [--image FILE] [--size PIXELS]";

	private InspectCommand() {
	}

	/**
	 * Runs the command; returns the process exit code (0 success, 1 bad checkpoint or
	 * image, 2 usage).
	 */
	public static int run(String[] args, PrintStream out, PrintStream err) {
		Path checkpoint = null;
		Path image = null;
		Integer size = null;
		LoadOptions options = LoadOptions.DEFAULTS;
		try {
			for (int i = 0; i < args.length; i++) {
				switch (args[i]) {
					case "--heads" -> options = options.withHeads(Integer.valueOf(args[++i]));
					case "--image" -> image = Path.of(args[++i]);
					case "--size" -> size = Integer.valueOf(args[++i]);
					default -> {
						if (checkpoint != null || args[i].startsWith("--")) {
							throw new IllegalArgumentException("unexpected argument " + args[i]);
						}
						checkpoint = Path.of(args[i]);
					}
				}
			}
			if (checkpoint == null) {
				throw new IllegalArgumentException("missing PATH");
			}
		}
		catch (IllegalArgumentException | ArrayIndexOutOfBoundsException ex) {
			err.println("phreg inspect: " + ex.getMessage());
			err.println(USAGE);
			return 2;
		}
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel loaded = CheckpointLoader.load(checkpoint, manager, options);
			describe(loaded, out);
			if (image != null) {
				printTokenNorms(loaded, image, size, manager, out);
			}
			return 0;
		}
		catch (IOException | RuntimeException ex) {
			err.println("phreg inspect: " + ex.getMessage());
			return 1;
		}
	}

	private static void describe(LoadedModel loaded, PrintStream out) {
		ViTConfig config = loaded.model().config();
		out.println("checkpoint: " + loaded.origin());
		out.println("family: " + loaded.format() + " (" + loaded.format().description() + ")");
		out.println("config: " + config);
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

}
