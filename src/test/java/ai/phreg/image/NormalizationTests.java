package ai.phreg.image;

import java.util.List;

import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class NormalizationTests {

	static List<ReferenceInputs> inputs() {
		return ReferenceInputs.all();
	}

	@Test
	void manifestListsTheReferenceInputs() {
		assertThat(inputs()).extracting(ReferenceInputs::name).isNotEmpty().doesNotHaveDuplicates();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("inputs")
	void reproducesReferencePixelValuesBitExactlyFromRawUint8(ReferenceInputs input) throws Exception {
		Preprocessing preprocessing = input.preprocessing();
		try (SafetensorsReader reader = SafetensorsReader.open(ReferenceInputs.tensors())) {
			RgbImage raw = PreprocessingTests.rawUint8(reader, input.name());
			assertThat(reader.info(input.name() + ".pixel_values").shape()).containsExactly(1, 3,
					preprocessing.cropHeight(), preprocessing.cropWidth());
			float[] expected = reader.readFloats(input.name() + ".pixel_values");

			float[] actual = preprocessing.normalization().toChw(raw);

			assertThat(actual).as("pixel_values of %s", input.name()).containsExactly(expected);
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("inputs")
	void referenceStatisticsAreTheBuiltInConstants(ReferenceInputs input) {
		assertThat(List.of(Normalization.IMAGENET, Normalization.CLIP)).contains(input.preprocessing().normalization());
	}

	@Test
	void constantsAreTheDoublesNarrowedToFloat() {
		assertThat(Normalization.IMAGENET.mean()).containsExactly((float) 0.485, (float) 0.456, (float) 0.406);
		assertThat(Normalization.IMAGENET.std()).containsExactly((float) 0.229, (float) 0.224, (float) 0.225);
		assertThat(Normalization.CLIP.mean()).containsExactly((float) 0.48145466, (float) 0.4578275,
				(float) 0.40821073);
		assertThat(Normalization.CLIP.std()).containsExactly((float) 0.26862954, (float) 0.26130258,
				(float) 0.27577711);
	}

	@Test
	void outputIsChannelMajor() {
		// Two pixels, (0, 51, 255) and (255, 102, 0); mean 0 and std 1 leave u8 / 255.
		RgbImage image = new RgbImage(2, 1, new byte[] { 0, 51, (byte) 255, (byte) 255, 102, 0 });
		Normalization identity = new Normalization(new float[] { 0, 0, 0 }, new float[] { 1, 1, 1 });
		assertThat(identity.toChw(image)).containsExactly(0f, 1f, 0.2f, 0.4f, 1f, 0f);
	}

	@Test
	void appliesMeanThenStdPerChannel() {
		RgbImage image = new RgbImage(1, 1, new byte[] { (byte) 255, (byte) 255, (byte) 255 });
		Normalization normalization = new Normalization(new float[] { 0.5f, 0f, 1f }, new float[] { 0.25f, 2f, 1f });
		assertThat(normalization.toChw(image)).containsExactly(2f, 0.5f, 0f);
	}

	@Test
	void statisticsCannotBeChangedFromOutside() {
		float[] mean = { 0.1f, 0.2f, 0.3f };
		Normalization normalization = new Normalization(mean, new float[] { 1, 1, 1 });
		mean[0] = 9f;
		normalization.mean()[1] = 9f;
		assertThat(normalization.mean()).containsExactly(0.1f, 0.2f, 0.3f);
	}

	@Test
	void rejectsMalformedStatistics() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new Normalization(new float[] { 0, 0 }, new float[] { 1, 1, 1 }));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new Normalization(new float[] { 0, 0, 0 }, new float[] { 1, 0, 1 }));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new Normalization(new float[] { 0, Float.NaN, 0 }, new float[] { 1, 1, 1 }));
	}

}
