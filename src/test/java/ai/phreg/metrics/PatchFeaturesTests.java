package ai.phreg.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PatchFeaturesTests {

	@Test
	void dimensionFollowsFromTheLength() {
		PatchFeatures features = PatchFeatures.of(new float[2 * 3 * 5], 2, 3);
		assertThat(features.dim()).isEqualTo(5);
		assertThat(features.tokenCount()).isEqualTo(6);
	}

	@Test
	void aLengthThatDoesNotSplitIntoTokensIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> PatchFeatures.of(new float[13], 2, 3))
			.withMessageContaining("6 equal");
		assertThatIllegalArgumentException().isThrownBy(() -> new PatchFeatures(new float[12], 2, 3, 3))
			.withMessageContaining("needs 18 floats");
	}

	@Test
	void featuresCompareByContentAndShape() {
		float[] values = { 1, 2, 3, 4 };
		assertThat(PatchFeatures.of(values.clone(), 2, 1)).isEqualTo(PatchFeatures.of(values.clone(), 2, 1))
			.isNotEqualTo(PatchFeatures.of(values.clone(), 1, 2));
	}

}
