package ai.phreg.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static ai.phreg.Differences.maxAbs;
import static ai.phreg.Differences.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PositionResamplingTests {

	private static final Pattern CASE = Pattern.compile("(\\d+)x(\\d+)\\.(.+)");

	/**
	 * The fixtures were computed by PyTorch in float32; against the exact double result
	 * they carry about 2e-6 of rounding noise (values up to 3), so a tighter bound would
	 * test that noise rather than the rule.
	 */
	private static final double FIXTURE_TOLERANCE_DOUBLE = 5e-6;

	private static final double FIXTURE_TOLERANCE_DJL = 1e-5;

	/** Float32 weights and matrix products against the double rule. */
	private static final double DJL_VS_DOUBLE_TOLERANCE = 1e-6;

	@TestFactory
	List<DynamicTest> matchesPytorchInterpolateCases() throws IOException {
		Path file = Fixtures.resolve("interp/pos_interp_cases.safetensors");
		List<DynamicTest> tests = new ArrayList<>();
		Set<String> targets = new TreeSet<>();
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			long[] gridShape = reader.info("grid").shape();
			int channels = Math.toIntExact(gridShape[1]);
			int gridH = Math.toIntExact(gridShape[2]);
			int gridW = Math.toIntExact(gridShape[3]);
			float[] grid = channelsLast(reader.readFloats("grid"), channels, gridH, gridW);
			for (String name : new TreeSet<>(reader.names())) {
				Matcher matcher = CASE.matcher(name);
				if (!matcher.matches()) {
					continue;
				}
				int outH = Integer.parseInt(matcher.group(1));
				int outW = Integer.parseInt(matcher.group(2));
				PositionResampling rule = ruleOf(matcher.group(3));
				targets.add(outH + "x" + outW);
				assertThat(reader.info(name).shape()).containsExactly(1, channels, outH, outW);
				float[] expected = channelsLast(reader.readFloats(name), channels, outH, outW);
				tests.add(DynamicTest.dynamicTest(name, () -> {
					double[] exact = separable(rule, grid, gridH, gridW, channels, outH, outW);
					assertThat(maxAbsDiffToExact(exact, expected)).isLessThanOrEqualTo(FIXTURE_TOLERANCE_DOUBLE);
					float[] resampled = resampleWithDjl(rule, grid, gridH, gridW, channels, outH, outW);
					assertThat(maxAbsDiffToExact(exact, resampled)).isLessThanOrEqualTo(DJL_VS_DOUBLE_TOLERANCE);
					assertThat(maxAbsDiff(resampled, expected)).isLessThanOrEqualTo(FIXTURE_TOLERANCE_DJL);
				}));
			}
		}
		// An empty discovery must not pass silently, and every target covers every rule.
		assertThat(targets).isNotEmpty();
		assertThat(tests).hasSize(targets.size() * PositionResampling.values().length);
		return tests;
	}

	@ParameterizedTest
	@EnumSource(PositionResampling.class)
	void resamplesNonSquareGridsPerAxis(PositionResampling rule) {
		int gridH = 6;
		int gridW = 9;
		int channels = 3;
		float[] grid = randomFloats(gridH * gridW * channels, 7);
		for (int[] target : new int[][] { { 7, 4 }, { 3, 13 }, { 6, 9 } }) {
			double[] exact = separable(rule, grid, gridH, gridW, channels, target[0], target[1]);
			float[] resampled = resampleWithDjl(rule, grid, gridH, gridW, channels, target[0], target[1]);
			assertThat(maxAbsDiffToExact(exact, resampled)).isLessThanOrEqualTo(DJL_VS_DOUBLE_TOLERANCE);
		}
	}

	@ParameterizedTest
	@EnumSource(value = PositionResampling.class, names = { "BICUBIC", "BICUBIC_ANTIALIAS" })
	void sizeRulesAreTheIdentityAtTheSameSize(PositionResampling rule) {
		for (int n = 1; n <= 40; n++) {
			double[][] weights = rule.weights(n, n);
			for (int o = 0; o < n; o++) {
				for (int i = 0; i < n; i++) {
					assertThat(weights[o][i]).as("n=%d [%d][%d]", n, o, i).isEqualTo((o == i) ? 1.0 : 0.0);
				}
			}
		}
	}

	@Test
	void offsetRuleIsNotTheIdentityAtTheSameSize() {
		// The source of output o is (o+0.5)*16/16.1-0.5, not o: upstream therefore
		// returns the embedding untouched at the native grid, and callers must skip
		// resampling.
		double[][] weights = PositionResampling.BICUBIC_OFFSET.weights(16, 16);
		assertThat(weights[15][15]).isLessThan(0.99);
		assertThat(weights[15][14]).isGreaterThan(0.01);
	}

	@ParameterizedTest
	@EnumSource(PositionResampling.class)
	void weightRowsSumToOne(PositionResampling rule) {
		for (int in = 1; in <= 24; in++) {
			for (int out = 1; out <= 24; out++) {
				for (double[] row : rule.weights(in, out)) {
					double sum = 0;
					for (double w : row) {
						sum += w;
					}
					assertThat(sum).isCloseTo(1.0, within(1e-12));
				}
			}
		}
	}

	@ParameterizedTest
	@EnumSource(PositionResampling.class)
	void gradientFlowsBackToTheGrid(PositionResampling rule) {
		int gridH = 5;
		int gridW = 7;
		int channels = 4;
		int outH = 8;
		int outW = 3;
		try (NDManager manager = NDManager.newBaseManager()) {
			NDArray grid = manager.create(randomFloats(gridH * gridW * channels, 11),
					new Shape(gridH, gridW, channels));
			grid.setRequiresGradient(true);
			try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
				NDArray resampled = rule.resample(grid, outH, outW);
				assertThat(resampled.getManager()).isSameAs(manager);
				collector.backward(resampled.sum());
			}
			float[] gradient;
			try (NDArray gradientArray = grid.getGradient()) {
				gradient = gradientArray.toFloatArray();
			}
			// d(sum of outputs)/d grid[i][j][c] = (sum_o rows[o][i]) * (sum_o
			// cols[o][j]).
			double[] rowTotals = columnSums(rule.weights(gridH, outH));
			double[] columnTotals = columnSums(rule.weights(gridW, outW));
			double expectedSum = 0;
			double actualSum = 0;
			for (int i = 0; i < gridH; i++) {
				for (int j = 0; j < gridW; j++) {
					for (int c = 0; c < channels; c++) {
						double expected = rowTotals[i] * columnTotals[j];
						float actual = gradient[(i * gridW + j) * channels + c];
						assertThat((double) actual).isCloseTo(expected, within(1e-6));
						expectedSum += expected;
						actualSum += actual;
					}
				}
			}
			assertThat(maxAbs(gradient)).isGreaterThan(0.1);
			assertThat(actualSum).isCloseTo(expectedSum, within(1e-5));
		}
	}

	private static PositionResampling ruleOf(String suffix) {
		return switch (suffix) {
			case "offset0.1_bicubic" -> PositionResampling.BICUBIC_OFFSET;
			case "size_bicubic" -> PositionResampling.BICUBIC;
			case "size_bicubic_antialias" -> PositionResampling.BICUBIC_ANTIALIAS;
			default -> throw new IllegalArgumentException("Unknown interpolation case " + suffix);
		};
	}

	/** [1, C, H, W] as stored by PyTorch to the row-major token grid [H, W, C]. */
	private static float[] channelsLast(float[] nchw, int channels, int height, int width) {
		float[] tokens = new float[nchw.length];
		for (int c = 0; c < channels; c++) {
			for (int y = 0; y < height; y++) {
				for (int x = 0; x < width; x++) {
					tokens[(y * width + x) * channels + c] = nchw[(c * height + y) * width + x];
				}
			}
		}
		return tokens;
	}

	/** The rule applied in double precision, independently of DJL: [outH, outW, C]. */
	private static double[] separable(PositionResampling rule, float[] grid, int gridH, int gridW, int channels,
			int outH, int outW) {
		double[][] rows = rule.weights(gridH, outH);
		double[][] columns = rule.weights(gridW, outW);
		double[] result = new double[outH * outW * channels];
		for (int y = 0; y < outH; y++) {
			for (int x = 0; x < outW; x++) {
				for (int i = 0; i < gridH; i++) {
					for (int j = 0; j < gridW; j++) {
						double weight = rows[y][i] * columns[x][j];
						for (int c = 0; c < channels; c++) {
							result[(y * outW + x) * channels + c] += weight * grid[(i * gridW + j) * channels + c];
						}
					}
				}
			}
		}
		return result;
	}

	private static float[] resampleWithDjl(PositionResampling rule, float[] grid, int gridH, int gridW, int channels,
			int outH, int outW) {
		try (NDManager manager = NDManager.newBaseManager()) {
			NDArray resampled = rule.resample(manager.create(grid, new Shape(gridH, gridW, channels)), outH, outW);
			assertThat(resampled.getShape()).isEqualTo(new Shape(outH, outW, channels));
			return resampled.toFloatArray();
		}
	}

	private static double[] columnSums(double[][] weights) {
		double[] sums = new double[weights[0].length];
		for (double[] row : weights) {
			for (int i = 0; i < row.length; i++) {
				sums[i] += row[i];
			}
		}
		return sums;
	}

	private static float[] randomFloats(int count, long seed) {
		Random random = new Random(seed);
		float[] values = new float[count];
		for (int i = 0; i < count; i++) {
			values[i] = (float) random.nextGaussian();
		}
		return values;
	}

	private static double maxAbsDiffToExact(double[] exact, float[] actual) {
		assertThat(actual).hasSameSizeAs(exact);
		double max = 0;
		for (int i = 0; i < exact.length; i++) {
			max = Math.max(max, Math.abs(exact[i] - actual[i]));
		}
		return max;
	}

}
