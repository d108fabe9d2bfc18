package ai.phreg.image;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class BicubicResizeTests {

	@Test
	void resizeToTheSameSizeIsAnIdentityCopy() {
		RgbImage image = CropTests.numbered(13, 7);
		RgbImage resized = BicubicResize.resize(image, 13, 7);
		assertThat(resized).isEqualTo(image);
		assertThat(resized.pixels()).isNotSameAs(image.pixels());
	}

	@ParameterizedTest(name = "{0}x{1} -> {2}x{3}")
	@CsvSource({ "451, 300, 168, 112", "40, 30, 97, 61", "17, 9, 5, 23", "64, 64, 1, 1" })
	void uniformImagesStayUniformAtAnyScale(int width, int height, int newWidth, int newHeight) {
		// Normalised weights sum to one; the fixed-point rounding must not drift a flat
		// colour, including the extremes that hit the clip.
		for (int[] colour : new int[][] { { 0, 128, 255 }, { 37, 201, 3 } }) {
			RgbImage resized = BicubicResize.resize(uniform(width, height, colour), newWidth, newHeight);
			assertThat(resized).isEqualTo(uniform(newWidth, newHeight, colour));
		}
	}

	@Test
	void resizingOneAxisLeavesTheOtherUntouched() {
		// Rows that are constant stay constant under a horizontal-only resize, and keep
		// their value: no vertical pass runs.
		int width = 31;
		int height = 5;
		byte[] pixels = new byte[width * height * 3];
		for (int y = 0; y < height; y++) {
			Arrays.fill(pixels, y * width * 3, (y + 1) * width * 3, (byte) (y * 50));
		}
		RgbImage resized = BicubicResize.resize(new RgbImage(width, height, pixels), 12, height);
		for (int y = 0; y < height; y++) {
			for (int x = 0; x < 12; x++) {
				assertThat(resized.sample(x, y, 1)).isEqualTo(y * 50);
			}
		}
	}

	@Test
	void downscalingAveragesDetailAway() {
		// Antialiasing widens the kernel: a one-pixel checkerboard shrunk 4x becomes a
		// flat mid grey instead of aliasing into stripes.
		int size = 64;
		byte[] pixels = new byte[size * size * 3];
		for (int y = 0; y < size; y++) {
			for (int x = 0; x < size; x++) {
				Arrays.fill(pixels, (y * size + x) * 3, (y * size + x) * 3 + 3, (byte) (((x + y) % 2 == 0) ? 255 : 0));
			}
		}
		RgbImage resized = BicubicResize.resize(new RgbImage(size, size, pixels), 16, 16);
		for (int y = 2; y < 14; y++) {
			for (int x = 2; x < 14; x++) {
				assertThat(resized.sample(x, y, 0)).isBetween(126, 129);
			}
		}
	}

	@Test
	void shorterSideRuleOnLandscape() {
		// 451x300 -> shorter side 112: long = int(112 * 451 / 300) = int(168.37) = 168.
		RgbImage resized = BicubicResize.resizeShorterSide(uniform(451, 300, new int[] { 1, 2, 3 }), 112);
		assertThat(resized.width()).isEqualTo(168);
		assertThat(resized.height()).isEqualTo(112);
	}

	@Test
	void shorterSideRuleOnPortraitTruncates() {
		// 300x451 -> 98: long = int(147.33) = 147; 200x299 -> 100: int(149.5) = 149 (no
		// rounding).
		RgbImage portrait = BicubicResize.resizeShorterSide(uniform(300, 451, new int[] { 1, 2, 3 }), 98);
		assertThat(portrait.width()).isEqualTo(98);
		assertThat(portrait.height()).isEqualTo(147);
		RgbImage half = BicubicResize.resizeShorterSide(uniform(200, 299, new int[] { 1, 2, 3 }), 100);
		assertThat(half.width()).isEqualTo(100);
		assertThat(half.height()).isEqualTo(149);
	}

	@Test
	void shorterSideRuleOnSquareAndUpscale() {
		RgbImage square = BicubicResize.resizeShorterSide(uniform(50, 50, new int[] { 1, 2, 3 }), 80);
		assertThat(square.width()).isEqualTo(80);
		assertThat(square.height()).isEqualTo(80);
		RgbImage upscaled = BicubicResize.resizeShorterSide(uniform(30, 20, new int[] { 1, 2, 3 }), 80);
		assertThat(upscaled.width()).isEqualTo(120);
		assertThat(upscaled.height()).isEqualTo(80);
	}

	@Test
	void rejectsEmptyTargets() {
		RgbImage image = uniform(4, 4, new int[] { 0, 0, 0 });
		assertThatIllegalArgumentException().isThrownBy(() -> BicubicResize.resize(image, 0, 4));
		assertThatIllegalArgumentException().isThrownBy(() -> BicubicResize.resizeShorterSide(image, 0));
	}

	static RgbImage uniform(int width, int height, int[] colour) {
		byte[] pixels = new byte[width * height * 3];
		for (int i = 0; i < pixels.length; i++) {
			pixels[i] = (byte) colour[i % 3];
		}
		return new RgbImage(width, height, pixels);
	}

	@Test
	void aResultTooLargeToHoldIsRefusedWithAMessage() {
		RgbImage strip = new RgbImage(3, 50_000, new byte[3 * 50_000 * 3]);

		// 224 x 3,733,333 x 3 bytes overflowed an int: NegativeArraySizeException.
		assertThatIllegalArgumentException().isThrownBy(() -> BicubicResize.resizeShorterSide(strip, 224))
			.withMessage("Cannot resize a 3x50000 image to 224x3733333: the result would be too large to hold");
	}

}
