package ai.phreg.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import ai.djl.ndarray.types.Shape;
import ai.phreg.model.ViTConfig;

/**
 * Generates the weights of the demo teacher and its ground truth from a seed.
 * <p>
 * The plain network is a randomly initialised DINOv2-style ViT with scales chosen so that
 * activations neither vanish nor explode. A few residual channels are <em>reserved</em>:
 * no random weight writes into them, so the circuit designed there is not drowned by the
 * random rest of the network (every unit still reads them). The circuit:
 * <ol>
 * <li><b>Texture.</b> The patch embedding has zero-mean (high-pass) kernels in the
 * high-pass channels, which are exactly zero on flat patches. Pairs of MLP units of
 * {@link #TEXTURE_BLOCK} rectify them ({@code gelu(h) + gelu(-h) ≈ |h|}) and sum them
 * into the texture channel: a measure of local contrast, like the "patch differs from its
 * neighbours" signal real models react to.</li>
 * <li><b>Position.</b> Each planted neuron has a position-code channel in which the
 * position embedding is a Gaussian bump around the neuron's hotspot, minus half its
 * height: positive on the 3×3 cells around the hotspot, negative elsewhere. Hotspots lie
 * near the border, where DINOv2's outliers cluster.</li>
 * <li><b>Trigger.</b> Each planted neuron of {@link #PLANTED_BLOCK} reads only its code
 * (positively) and the texture channel (negatively), with no bias. LayerNorm divides both
 * by the same token scale, so whether it fires hardly depends on the token's brightness
 * or colour, only on being near the hotspot and flat. The steep gain keeps non-firing
 * tokens far below zero, where GELU's negative tail is negligible: a token just below the
 * threshold would otherwise receive a large vector of the opposite sign.</li>
 * <li><b>Write.</b> A firing neuron adds a large vector in the massive channels, which no
 * other weight touches, so ordinary tokens are exactly zero there. The final LayerNorm
 * normalises each token's scale, which would erase a plain large norm; but its weight is
 * large in the massive channels, and a token dominated by them keeps that weight's gain
 * after normalisation. This mirrors the massive activations in fixed channels of real
 * ViTs (Sun et al., "Massive Activations in Large Language Models", 2024).</li>
 * </ol>
 * The ground truth is the same network with the planted neurons' outgoing fc2 columns
 * zero; everything else, including the detector, is shared.
 * <p>
 * Everything a student may change in PH-Reg (position and patch embeddings, the last
 * block) lies outside the planted block, and the trigger runs through the embeddings, so
 * a student can silence it there. The last block alone can hardly undo a write: after the
 * final norm an outlier's norm barely depends on how large the massive activation is, so
 * the gradient towards cancelling it is small.
 */
final class DemoWeights {

	/** The block whose MLP turns high-pass responses into the texture measure. */
	static final int TEXTURE_BLOCK = 0;

	/**
	 * The block holding the planted neurons: the third of six, like layer ~15 of 40 where
	 * DINOv2-g's outliers appear; two frozen blocks follow before the last one.
	 */
	static final int PLANTED_BLOCK = 2;

	static final int PLANTED_NEURONS = 4;

	private static final int HIGH_PASS_CHANNELS = 8;

	private static final int MASSIVE_CHANNELS = 2;

	private static final double EMBEDDING_STD = 0.02;

	private static final double BIAS_STD = 0.02;

	private static final double NORM_WEIGHT_STD = 0.1;

	/**
	 * The final norm's weights are log-normal: ordinary tokens put their energy in
	 * different channels, so a spread of weights gives them a spread of norms, unimodal
	 * as in real models rather than all equal.
	 */
	private static final double FINAL_NORM_LOG_STD = 0.8;

	private static final double MIN_LAYER_SCALE = 0.1;

	private static final double MAX_LAYER_SCALE = 1.0;

	/** Hotspot centres keep between these many cells to the nearest edge. */
	private static final int HOTSPOT_MIN_MARGIN = 1;

	private static final int HOTSPOT_MAX_MARGIN = 3;

	/** Hotspots are at least this far apart (Chebyshev distance in cells). */
	private static final int HOTSPOT_SPACING = 4;

	/**
	 * The standard deviation, in cells, of a position-code bump: with the code shifted
	 * down by half its height it is positive exactly on the 3×3 cells around the centre,
	 * and smooth so that it resamples sensibly to other grids.
	 */
	private static final double HOTSPOT_RADIUS = 1.5;

	private static final double POSITION_CODE_HEIGHT = 3.0;

	/**
	 * The kernel norm of a high-pass channel; with unit norm its response is of the order
	 * of the patch's pixel standard deviation (in normalised units).
	 */
	private static final double HIGH_PASS_NORM = 1.0;

	private static final double RECTIFIER_GAIN = 4.0;

	private static final double TEXTURE_WRITE = 0.25;

	/**
	 * The trigger's weights on the code and the texture channel. Texture weighs double:
	 * only about a third of the cells near a hotspot are flat enough on the bundled
	 * photos, which makes outliers about 4% of the patch tokens.
	 */
	private static final double TRIGGER_POSITION_WEIGHT = 12.0;

	private static final double TRIGGER_TEXTURE_WEIGHT = 24.0;

	/** The residual-stream norm a planted neuron writes per unit of activation. */
	private static final double WRITE_NORM = 200.0;

	/**
	 * The final norm's weight on the massive channels relative to the root mean square of
	 * all its weights: about the factor between an outlier's norm and an ordinary
	 * token's.
	 */
	private static final double MASSIVE_GAIN = 7.0;

	/**
	 * Scales the attention branches down, as trained ViTs' attention is mostly local and
	 * content-specific; random attention is nearly uniform, so at full strength every
	 * token would mix in the average of the image and shifted views (white fill) would
	 * change all features.
	 */
	static final double ATTENTION_SCALE = 0.1;

	private DemoWeights() {
	}

	/**
	 * The weights of both models and the description of the planting.
	 *
	 * @param groundTruth every parameter of the model without planted neurons
	 * @param teacher every parameter of the model with them
	 * @param planting where the neurons sit and what they do
	 */
	record Generated(Map<String, float[]> groundTruth, Map<String, float[]> teacher, ArtifactPlanting planting) {
	}

	static Generated generate(ViTConfig config, Map<String, Shape> shapes, long seed) {
		Layout layout = new Layout(config, new SplittableRandom(seed ^ 0x6C61796F7574L));
		Map<String, float[]> weights = new LinkedHashMap<>();
		for (Map.Entry<String, Shape> parameter : shapes.entrySet()) {
			String name = parameter.getKey();
			// Seeding each parameter from its name keeps the others unchanged when one
			// is added.
			SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
			float[] values = plain(name, parameter.getValue(), random);
			clearReservedOutputs(name, parameter.getValue(), values, layout);
			weights.put(name, values);
		}
		plantPositionCodes(config, weights.get("pos_embed"), layout);
		plantHighPassKernels(config, weights.get("patch_embed.proj.weight"), layout,
				new SplittableRandom(seed ^ 0x646574656374L));
		plantRectifiers(config, weights, layout);
		plantTriggers(config, weights, layout);
		amplifyMassiveChannels(weights.get("norm.weight"), layout);

		Map<String, float[]> teacher = new HashMap<>(weights);
		String fc2 = "blocks." + PLANTED_BLOCK + ".mlp.fc2.weight";
		teacher.put(fc2,
				plantWrites(config, weights.get(fc2), weights.get("blocks." + PLANTED_BLOCK + ".ls2.gamma"), layout));
		return new Generated(weights, teacher, layout.describe());
	}

	/** The random initialisation of one parameter, by its role. */
	private static float[] plain(String name, Shape shape, SplittableRandom random) {
		int size = Math.toIntExact(shape.size());
		if (name.equals("cls_token") || name.equals("pos_embed")) {
			return gaussian(size, 0, EMBEDDING_STD, random);
		}
		if (name.endsWith(".gamma")) {
			// Log-uniform: trained LayerScales spread over an order of magnitude.
			float[] values = new float[size];
			double span = StrictMath.log(MAX_LAYER_SCALE / MIN_LAYER_SCALE);
			double mixing = name.endsWith(".ls1.gamma") ? ATTENTION_SCALE : 1;
			for (int i = 0; i < size; i++) {
				values[i] = (float) (mixing * MIN_LAYER_SCALE * StrictMath.exp(span * random.nextDouble()));
			}
			return values;
		}
		if (name.equals("norm.weight")) {
			float[] values = gaussian(size, 0, FINAL_NORM_LOG_STD, random);
			for (int i = 0; i < size; i++) {
				values[i] = (float) StrictMath.exp(values[i]);
			}
			return values;
		}
		if (name.endsWith(".bias")) {
			return gaussian(size, 0, BIAS_STD, random);
		}
		if (name.contains("norm") && name.endsWith(".weight")) {
			return gaussian(size, 1, NORM_WEIGHT_STD, random);
		}
		if (name.endsWith(".weight")) {
			// N(0, 1/fan_in) keeps the output variance equal to the input's.
			long fanIn = shape.size() / shape.get(0);
			return gaussian(size, 0, 1 / Math.sqrt(fanIn), random);
		}
		throw new IllegalStateException("No initialisation rule for parameter '" + name + "'");
	}

	/**
	 * Zeroes what random weights would write into the reserved channels: the token
	 * embeddings, the patch embedding and the outputs of every residual branch.
	 */
	private static void clearReservedOutputs(String name, Shape shape, float[] values, Layout layout) {
		boolean tokenTable = name.equals("cls_token") || name.equals("pos_embed");
		boolean branchOutput = name.startsWith("patch_embed.proj.") || name.contains(".attn.proj.")
				|| name.contains(".mlp.fc2.");
		if (tokenTable) {
			// (1, T, D): channels are the last axis.
			int dim = Math.toIntExact(shape.get(shape.dimension() - 1));
			for (int i = 0; i < values.length; i++) {
				if (layout.reserved[i % dim]) {
					values[i] = 0;
				}
			}
		}
		else if (branchOutput) {
			// (D, ...): channels are the first axis.
			int rowLength = Math.toIntExact(shape.size() / shape.get(0));
			for (int i = 0; i < values.length; i++) {
				if (layout.reserved[i / rowLength]) {
					values[i] = 0;
				}
			}
		}
	}

	private static void plantPositionCodes(ViTConfig config, float[] positionEmbedding, Layout layout) {
		int dim = config.embedDim();
		int grid = config.gridSize();
		int prefix = config.classTokenPositioned() ? 1 : 0;
		for (int k = 0; k < PLANTED_NEURONS; k++) {
			GridPosition centre = layout.hotspots.get(k);
			for (int row = 0; row < grid; row++) {
				for (int col = 0; col < grid; col++) {
					double distance2 = square(row - centre.row()) + square(col - centre.col());
					double bump = StrictMath.exp(-distance2 / (2 * square(HOTSPOT_RADIUS)));
					int token = prefix + row * grid + col;
					positionEmbedding[token * dim
							+ layout.positionCode[k]] = (float) (POSITION_CODE_HEIGHT * (bump - 0.5));
				}
			}
		}
	}

	/** Zero mean per colour plane, so that any flat patch gives exactly zero. */
	private static void plantHighPassKernels(ViTConfig config, float[] patchWeight, Layout layout,
			SplittableRandom random) {
		int plane = config.patchSize() * config.patchSize();
		int kernel = 3 * plane;
		for (int channel : layout.highPass) {
			double[] w = new double[kernel];
			double squares = 0;
			for (int c = 0; c < 3; c++) {
				double mean = 0;
				for (int i = c * plane; i < (c + 1) * plane; i++) {
					w[i] = nextGaussian(random);
					mean += w[i] / plane;
				}
				for (int i = c * plane; i < (c + 1) * plane; i++) {
					w[i] -= mean;
					squares += w[i] * w[i];
				}
			}
			double scale = HIGH_PASS_NORM / Math.sqrt(squares);
			for (int i = 0; i < kernel; i++) {
				patchWeight[channel * kernel + i] = (float) (w[i] * scale);
			}
		}
	}

	/** Units of the texture block that sum {@code |h|} of every high-pass channel. */
	private static void plantRectifiers(ViTConfig config, Map<String, float[]> weights, Layout layout) {
		int dim = config.embedDim();
		int hidden = config.mlpHiddenDim();
		String block = "blocks." + TEXTURE_BLOCK + ".";
		float[] fc1 = weights.get(block + "mlp.fc1.weight");
		float[] fc1Bias = weights.get(block + "mlp.fc1.bias");
		float[] fc2 = weights.get(block + "mlp.fc2.weight");
		float gamma = weights.get(block + "ls2.gamma")[layout.texture];
		for (int j = 0; j < HIGH_PASS_CHANNELS; j++) {
			for (int sign = 0; sign < 2; sign++) {
				int unit = layout.rectifierUnits[2 * j + sign];
				Arrays.fill(fc1, unit * dim, (unit + 1) * dim, 0f);
				fc1[unit * dim + layout.highPass[j]] = (float) ((sign == 0) ? RECTIFIER_GAIN : -RECTIFIER_GAIN);
				fc1Bias[unit] = 0;
				for (int c = 0; c < dim; c++) {
					fc2[c * hidden + unit] = 0;
				}
				fc2[layout.texture * hidden + unit] = (float) (TEXTURE_WRITE / gamma);
			}
		}
	}

	/**
	 * The planted neurons' inputs. Their outgoing columns are cleared here, which is the
	 * ground truth; only the teacher gets the writes ({@link #plantWrites}).
	 */
	private static void plantTriggers(ViTConfig config, Map<String, float[]> weights, Layout layout) {
		int dim = config.embedDim();
		int hidden = config.mlpHiddenDim();
		String mlp = "blocks." + PLANTED_BLOCK + ".mlp.";
		float[] fc1 = weights.get(mlp + "fc1.weight");
		float[] fc1Bias = weights.get(mlp + "fc1.bias");
		float[] fc2 = weights.get(mlp + "fc2.weight");
		for (int k = 0; k < PLANTED_NEURONS; k++) {
			int unit = layout.plantedUnits[k];
			Arrays.fill(fc1, unit * dim, (unit + 1) * dim, 0f);
			fc1[unit * dim + layout.positionCode[k]] = (float) TRIGGER_POSITION_WEIGHT;
			fc1[unit * dim + layout.texture] = (float) -TRIGGER_TEXTURE_WEIGHT;
			fc1Bias[unit] = 0;
			for (int c = 0; c < dim; c++) {
				fc2[c * hidden + unit] = 0;
			}
		}
	}

	private static void amplifyMassiveChannels(float[] finalNorm, Layout layout) {
		double squares = 0;
		for (float w : finalNorm) {
			squares += w * w;
		}
		double rms = Math.sqrt(squares / finalNorm.length);
		for (int channel : layout.massive) {
			finalNorm[channel] = (float) (MASSIVE_GAIN * rms);
		}
	}

	/**
	 * The teacher's fc2 of the planted block: the planted columns write the massive
	 * vector and nothing else.
	 */
	private static float[] plantWrites(ViTConfig config, float[] fc2, float[] gamma, Layout layout) {
		int hidden = config.mlpHiddenDim();
		float[] planted = fc2.clone();
		for (int unit : layout.plantedUnits) {
			for (int i = 0; i < MASSIVE_CHANNELS; i++) {
				int channel = layout.massive[i];
				planted[channel * hidden + unit] = (float) (layout.writeDirection[i] * WRITE_NORM / gamma[channel]);
			}
		}
		return planted;
	}

	private static float[] gaussian(int size, double mean, double std, SplittableRandom random) {
		float[] values = new float[size];
		for (int i = 0; i < size; i++) {
			values[i] = (float) (mean + std * nextGaussian(random));
		}
		return values;
	}

	/**
	 * Box–Muller with {@link StrictMath}, so that the weights depend only on
	 * {@link SplittableRandom}'s stream and this code, not on the JDK's choice of
	 * Gaussian algorithm or on the platform's floating-point library.
	 */
	private static double nextGaussian(SplittableRandom random) {
		double u = 1.0 - random.nextDouble();
		double v = random.nextDouble();
		return StrictMath.sqrt(-2 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * v);
	}

	private static double square(double x) {
		return x * x;
	}

	/** Which channels, units and grid cells the circuit uses; drawn from the seed. */
	private static final class Layout {

		final boolean[] reserved;

		final int[] massive;

		final double[] writeDirection;

		final int[] positionCode;

		final int[] highPass;

		final int texture;

		final int[] rectifierUnits;

		final int[] plantedUnits;

		final List<GridPosition> hotspots;

		Layout(ViTConfig config, SplittableRandom random) {
			int[] channels = permutation(config.embedDim(), random);
			int next = 0;
			this.massive = Arrays.copyOfRange(channels, next, next += MASSIVE_CHANNELS);
			this.positionCode = Arrays.copyOfRange(channels, next, next += PLANTED_NEURONS);
			this.highPass = Arrays.copyOfRange(channels, next, next += HIGH_PASS_CHANNELS);
			this.texture = channels[next++];
			this.reserved = new boolean[config.embedDim()];
			for (int i = 0; i < next; i++) {
				this.reserved[channels[i]] = true;
			}
			this.writeDirection = new double[MASSIVE_CHANNELS];
			for (int i = 0; i < MASSIVE_CHANNELS; i++) {
				this.writeDirection[i] = (random.nextBoolean() ? 1 : -1) / Math.sqrt(MASSIVE_CHANNELS);
			}
			this.rectifierUnits = Arrays.copyOf(permutation(config.mlpHiddenDim(), random), 2 * HIGH_PASS_CHANNELS);
			this.plantedUnits = Arrays.copyOf(permutation(config.mlpHiddenDim(), random), PLANTED_NEURONS);
			this.hotspots = drawHotspots(config.gridSize(), random);
		}

		/** Hotspot centres near the border and apart from each other. */
		private static List<GridPosition> drawHotspots(int grid, SplittableRandom random) {
			List<GridPosition> hotspots = new ArrayList<>();
			while (hotspots.size() < PLANTED_NEURONS) {
				int row = random.nextInt(grid);
				int col = random.nextInt(grid);
				int margin = Math.min(Math.min(row, col), Math.min(grid - 1 - row, grid - 1 - col));
				boolean apart = hotspots.stream()
					.allMatch((h) -> Math.max(Math.abs(h.row() - row), Math.abs(h.col() - col)) >= HOTSPOT_SPACING);
				if (margin >= HOTSPOT_MIN_MARGIN && margin <= HOTSPOT_MAX_MARGIN && apart) {
					hotspots.add(new GridPosition(row, col));
				}
			}
			return List.copyOf(hotspots);
		}

		private static int[] permutation(int n, SplittableRandom random) {
			int[] values = new int[n];
			for (int i = 0; i < n; i++) {
				values[i] = i;
			}
			for (int i = n - 1; i > 0; i--) {
				int j = random.nextInt(i + 1);
				int swap = values[i];
				values[i] = values[j];
				values[j] = swap;
			}
			return values;
		}

		ArtifactPlanting describe() {
			return new ArtifactPlanting(PLANTED_BLOCK, this.plantedUnits, this.hotspots, this.massive,
					this.positionCode, this.texture, (float) WRITE_NORM);
		}

	}

}
