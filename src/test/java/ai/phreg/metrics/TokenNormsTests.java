package ai.phreg.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TokenNormsTests {

	@Test
	void normsOfHandMadeVectorsKeepTheGrid() {
		float[] features = { 3, 4, 0, /**/ 0, 0, 0, /**/ 1, 2, 2, /**/ -2, -3, 6 };
		PatchGrid norms = TokenNorms.of(PatchFeatures.of(features, 2, 2));
		assertThat(norms.values()).containsExactly(5, 0, 3, 7);
		assertThat(norms.gridHeight()).isEqualTo(2);
		assertThat(norms.at(1, 0)).isEqualTo(3);
	}

	@Test
	void squaresAreSummedWithoutFloatOverflow() {
		// 1e20 squared is beyond float range; the norm itself is not.
		PatchGrid norms = TokenNorms.of(PatchFeatures.of(new float[] { 1e20f, 1e20f }, 1, 1));
		assertThat(norms.values()[0]).isCloseTo((float) (Math.sqrt(2) * 1e20), within(1e14f));
	}

}
