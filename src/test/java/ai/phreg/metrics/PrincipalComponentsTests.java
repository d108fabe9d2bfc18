package ai.phreg.metrics;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

class PrincipalComponentsTests {

	private static final int DIM = 8;

	// Three orthonormal directions spread over all coordinates, none an axis.
	private static final double[][] DIRECTIONS = orthonormal(new double[][] { { 1, 2, -1, 0.5, 3, -2, 1, 1 },
			{ -1, 0, 2, 1, 1, 1, -3, 0.5 }, { 2, -1, 1, -2, 0, 1, 0.5, -1 } });

	private static final double[] OFFSET = { 5, -3, 2, 7, 0, 1, -4, 2 };

	private static final double[] SPREADS = { 3, 2, 1 };

	@Test
	void recoversKnownDirectionsInOrderOfVariance() {
		PrincipalComponents pca = PrincipalComponents.fit(List.of(sample(20, 20, new Random(1))));
		for (int k = 0; k < 3; k++) {
			assertThat(Math.abs(dot(pca.component(k), DIRECTIONS[k]))).isGreaterThan(0.99);
			assertThat(Math.sqrt(pca.variances()[k])).isCloseTo(SPREADS[k], within(0.2 * SPREADS[k]));
		}
		assertThat(pca.variances()).isSortedAccordingTo((a, b) -> Double.compare(b, a));
	}

	@Test
	void componentsAreUnitLengthOrthogonalAndSignFixed() {
		PrincipalComponents pca = PrincipalComponents.fit(List.of(sample(20, 20, new Random(2))));
		for (int k = 0; k < 3; k++) {
			double[] component = pca.component(k);
			assertThat(dot(component, component)).isCloseTo(1, within(1e-9));
			for (int j = k + 1; j < 3; j++) {
				assertThat(dot(component, pca.component(j))).isCloseTo(0, within(1e-6));
			}
			int largest = 0;
			for (int i = 1; i < DIM; i++) {
				largest = (Math.abs(component[i]) > Math.abs(component[largest])) ? i : largest;
			}
			assertThat(component[largest]).isPositive();
		}
	}

	@Test
	void fittingIsDeterministic() {
		List<PatchFeatures> images = List.of(sample(10, 10, new Random(3)), sample(10, 10, new Random(4)));
		PrincipalComponents first = PrincipalComponents.fit(images);
		PrincipalComponents second = PrincipalComponents.fit(images);
		for (int k = 0; k < 3; k++) {
			assertThat(second.component(k)).containsExactly(first.component(k));
		}
	}

	@Test
	void anExactDesignGivesTheDirectionsAndVariancesExactly() {
		PrincipalComponents pca = PrincipalComponents.fit(List.of(factorial()));
		for (int k = 0; k < 3; k++) {
			assertThat(Math.abs(dot(pca.component(k), DIRECTIONS[k]))).isCloseTo(1, within(1e-9));
			assertThat(pca.variances()[k]).isCloseTo(SPREADS[k] * SPREADS[k], within(1e-5));
		}
	}

	@Test
	void aSecondSetProjectsOntoTheTeachersBasisByItsCoefficients() {
		// Fitted on a teacher centred on OFFSET, the student token
		// OFFSET + 1.5 u1 - 0.5 u2 + 0.25 u3 scores 1.5, -0.5, 0.25, up to each
		// component's sign.
		PrincipalComponents pca = PrincipalComponents.fit(List.of(factorial()));
		double[] coefficients = { 1.5, -0.5, 0.25 };
		float[] token = new float[DIM];
		for (int i = 0; i < DIM; i++) {
			double value = OFFSET[i];
			for (int k = 0; k < 3; k++) {
				value += coefficients[k] * DIRECTIONS[k][i];
			}
			token[i] = (float) value;
		}
		float[] scores = pca.project(PatchFeatures.of(token, 1, 1));
		for (int k = 0; k < 3; k++) {
			double sign = Math.signum(dot(pca.component(k), DIRECTIONS[k]));
			assertThat((double) scores[k]).isCloseTo(sign * coefficients[k], within(1e-5));
		}
	}

	@Test
	void projectingTheFittingSetReproducesItsVariances() {
		PatchFeatures teacher = sample(20, 20, new Random(6));
		PrincipalComponents pca = PrincipalComponents.fit(List.of(teacher));
		float[] scores = pca.project(teacher);
		for (int k = 0; k < 3; k++) {
			double sum = 0;
			double squares = 0;
			for (int token = 0; token < teacher.tokenCount(); token++) {
				sum += scores[token * 3 + k];
				squares += scores[token * 3 + k] * scores[token * 3 + k];
			}
			assertThat(sum / teacher.tokenCount()).isCloseTo(0, within(1e-4));
			assertThat(squares / teacher.tokenCount()).isCloseTo(pca.variances()[k], within(1e-3 * pca.variances()[k]));
		}
	}

	@Test
	void coloursSaturateBeyondTheFittingRange() {
		PrincipalComponents pca = PrincipalComponents.fit(List.of(sample(20, 20, new Random(7))));
		float[] tokens = new float[2 * DIM];
		for (int i = 0; i < DIM; i++) {
			tokens[i] = (float) (OFFSET[i] + 100 * DIRECTIONS[0][i]);
			tokens[DIM + i] = (float) (OFFSET[i] - 100 * DIRECTIONS[0][i]);
		}
		int[] colours = pca.colours(PatchFeatures.of(tokens, 1, 2));
		boolean aligned = dot(pca.component(0), DIRECTIONS[0]) > 0;
		assertThat(colours[0] >> 16).isEqualTo(aligned ? 255 : 0);
		assertThat(colours[1] >> 16).isEqualTo(aligned ? 0 : 255);
	}

	@Test
	void tooFewDimensionsAreRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> PrincipalComponents.fit(List.of(PatchFeatures.of(new float[8], 2, 2))))
			.withMessageContaining("at least 3");
	}

	// Every sign combination of +-3 u1, +-2 u2, +-1 u3 around OFFSET, eight times
	// over: the coefficients have exactly zero mean and zero correlation, so the
	// sample's principal axes are exactly the directions.
	private static PatchFeatures factorial() {
		float[] values = new float[64 * DIM];
		for (int token = 0; token < 64; token++) {
			for (int i = 0; i < DIM; i++) {
				double value = OFFSET[i];
				for (int k = 0; k < 3; k++) {
					value += (((token >> k) & 1) == 0 ? SPREADS[k] : -SPREADS[k]) * DIRECTIONS[k][i];
				}
				values[token * DIM + i] = (float) value;
			}
		}
		return PatchFeatures.of(values, 8, 8);
	}

	// OFFSET + a u1 + b u2 + c u3 + small isotropic noise, a, b, c of spreads 3, 2, 1.
	private static PatchFeatures sample(int height, int width, Random random) {
		float[] values = new float[height * width * DIM];
		for (int token = 0; token < height * width; token++) {
			double[] coefficients = new double[3];
			for (int k = 0; k < 3; k++) {
				coefficients[k] = SPREADS[k] * random.nextGaussian();
			}
			for (int i = 0; i < DIM; i++) {
				double value = OFFSET[i] + 0.01 * random.nextGaussian();
				for (int k = 0; k < 3; k++) {
					value += coefficients[k] * DIRECTIONS[k][i];
				}
				values[token * DIM + i] = (float) value;
			}
		}
		return PatchFeatures.of(values, height, width);
	}

	private static double[][] orthonormal(double[][] vectors) {
		double[][] basis = new double[vectors.length][];
		for (int k = 0; k < vectors.length; k++) {
			double[] vector = vectors[k].clone();
			for (int j = 0; j < k; j++) {
				double projection = dot(vector, basis[j]);
				for (int i = 0; i < vector.length; i++) {
					vector[i] -= projection * basis[j][i];
				}
			}
			double norm = Math.sqrt(dot(vector, vector));
			for (int i = 0; i < vector.length; i++) {
				vector[i] /= norm;
			}
			basis[k] = vector;
		}
		return basis;
	}

	private static double dot(double[] a, double[] b) {
		double sum = 0;
		for (int i = 0; i < a.length; i++) {
			sum += a[i] * b[i];
		}
		return sum;
	}

}
