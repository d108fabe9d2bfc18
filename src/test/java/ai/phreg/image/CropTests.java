package ai.phreg.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class CropTests {

	@ParameterizedTest(name = "size {0}, crop {1} -> offset {2}")
	@CsvSource({ "147, 140, 4", // 3.5 rounds to even 4
			"145, 140, 2", // 2.5 rounds to even 2
			"9, 4, 2", // 2.5 -> 2
			"11, 4, 4", // 3.5 -> 4
			"10, 4, 3", "168, 112, 28", "112, 112, 0" })
	void offsetRoundsHalfToEvenLikePython(int size, int crop, int expected) {
		assertThat(Crop.offset(size, crop)).isEqualTo(expected);
	}

	@Test
	void cropTakesTheWindowAtTheRoundedOffset() {
		// Width 9 -> 4 and height 7 -> 2 both have a margin of 2.5, which rounds to 2.
		RgbImage image = numbered(9, 7);
		RgbImage cropped = Crop.center(image, 2, 4);
		assertThat(cropped.width()).isEqualTo(4);
		assertThat(cropped.height()).isEqualTo(2);
		for (int y = 0; y < 2; y++) {
			for (int x = 0; x < 4; x++) {
				for (int c = 0; c < 3; c++) {
					assertThat(cropped.sample(x, y, c)).isEqualTo(image.sample(x + 2, y + 2, c));
				}
			}
		}
	}

	@Test
	void cropOfTheFullSizeIsTheSameImage() {
		RgbImage image = numbered(5, 3);
		assertThat(Crop.center(image, 3, 5)).isEqualTo(image);
	}

	@Test
	void cropLargerThanTheImagePadsWithBlackLikeTorchvision() {
		// Width 3 -> 6: padding 3 splits 1 left (3 // 2), 2 right; height 2 -> 5: 1 top,
		// 2 bottom. Height is cropped from the padded image at offset 0.
		RgbImage image = numbered(3, 2);
		RgbImage cropped = Crop.center(image, 5, 6);
		for (int y = 0; y < 5; y++) {
			for (int x = 0; x < 6; x++) {
				boolean inside = x >= 1 && x < 4 && y >= 1 && y < 3;
				for (int c = 0; c < 3; c++) {
					int expected = inside ? image.sample(x - 1, y - 1, c) : 0;
					assertThat(cropped.sample(x, y, c)).as("(%d,%d,%d)", x, y, c).isEqualTo(expected);
				}
			}
		}
	}

	@Test
	void cropLargerInOneDimensionOnlyPadsThatDimension() {
		// Width 2 -> 4 pads 1 each side; height 7 -> 3 crops at round(2.0) = 2.
		RgbImage image = numbered(2, 7);
		RgbImage cropped = Crop.center(image, 3, 4);
		for (int y = 0; y < 3; y++) {
			assertThat(cropped.sample(0, y, 0)).isZero();
			assertThat(cropped.sample(3, y, 0)).isZero();
			assertThat(cropped.sample(1, y, 1)).isEqualTo(image.sample(0, y + 2, 1));
			assertThat(cropped.sample(2, y, 2)).isEqualTo(image.sample(1, y + 2, 2));
		}
	}

	@Test
	void rejectsEmptyCrops() {
		assertThatIllegalArgumentException().isThrownBy(() -> Crop.center(numbered(4, 4), 0, 2));
	}

	/** An image whose every sample is distinct (mod 256), so misplaced pixels show. */
	static RgbImage numbered(int width, int height) {
		byte[] pixels = new byte[width * height * 3];
		for (int i = 0; i < pixels.length; i++) {
			pixels[i] = (byte) (i + 1);
		}
		return new RgbImage(width, height, pixels);
	}

}
