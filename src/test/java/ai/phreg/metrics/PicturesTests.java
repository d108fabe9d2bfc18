package ai.phreg.metrics;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import javax.imageio.ImageIO;

import ai.phreg.image.RgbImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class PicturesTests {

	private static final int TOP = 0xFDE725;

	private static final int BOTTOM = 0x440154;

	@TempDir
	Path directory;

	@Test
	void viridisRunsFromDarkPurpleToYellowGettingLighter() {
		assertThat(Viridis.rgb(0)).isEqualTo(BOTTOM);
		assertThat(Viridis.rgb(1)).isEqualTo(TOP);
		assertThat(Viridis.rgb(2)).isEqualTo(TOP);
		assertThat(Viridis.rgb(Double.NaN)).isEqualTo(BOTTOM);
		// Sampled every eighth entry: adjacent entries differ by single 8-bit steps,
		// where rounding may leave one channel behind another.
		double previous = -1;
		for (int i = 0; i <= 32; i++) {
			double luminance = luminance(Viridis.rgb(i / 32.0));
			assertThat(luminance).isGreaterThan(previous);
			previous = luminance;
		}
	}

	@Test
	void heatmapHasOneFlatSquarePerPatchAndTheHottestIsTheTopColour() throws IOException {
		float[] values = new float[3 * 5];
		for (int i = 0; i < values.length; i++) {
			values[i] = 10 + i % 3;
		}
		values[1 * 5 + 3] = 100;
		values[2 * 5 + 0] = 1;
		PatchGrid grid = new PatchGrid(values, 3, 5);
		Path file = this.directory.resolve("heatmap.png");
		Pictures.writePng(Pictures.heatmap(grid, ColourScale.spanning(grid), 16), file);

		BufferedImage read = ImageIO.read(file.toFile());
		assertThat(read.getWidth()).isEqualTo(5 * 16);
		assertThat(read.getHeight()).isEqualTo(3 * 16);
		for (int y = 16; y < 32; y++) {
			for (int x = 3 * 16; x < 4 * 16; x++) {
				assertThat(read.getRGB(x, y) & 0xFFFFFF).isEqualTo(TOP);
			}
		}
		assertThat(read.getRGB(8, 2 * 16 + 8) & 0xFFFFFF).isEqualTo(BOTTOM);
		assertThat(read.getRGB(3 * 16 + 8, 8) & 0xFFFFFF).isNotIn(TOP, BOTTOM);
	}

	@Test
	void aSharedScaleKeepsACleanerMapDarker() {
		PatchGrid teacher = new PatchGrid(new float[] { 10, 10, 10, 100 }, 2, 2);
		PatchGrid student = new PatchGrid(new float[] { 10, 12, 11, 13 }, 2, 2);
		ColourScale shared = ColourScale.spanning(teacher, student);
		BufferedImage picture = Pictures.heatmap(student, shared, 4);
		// Alone, the student's 13 would be yellow; next to the teacher's 100, dark.
		assertThat(picture.getRGB(6, 6) & 0xFFFFFF).isEqualTo(Viridis.rgb(3 / 90.0));
		assertThat(Pictures.heatmap(student, ColourScale.spanning(student), 4).getRGB(6, 6) & 0xFFFFFF).isEqualTo(TOP);
	}

	@Test
	void pcaMapIsUpscaledAndWrittenReadably() throws IOException {
		PatchFeatures features = PatchFeatures.of(SyntheticFeatures.smoothField(6, 9, 12, new Random(1)), 6, 9);
		Path file = this.directory.resolve("pca.png");
		Pictures.writePng(Pictures.pcaMap(PrincipalComponents.fit(List.of(features)), features, 10), file);
		BufferedImage read = ImageIO.read(file.toFile());
		assertThat(read.getWidth()).isEqualTo(90);
		assertThat(read.getHeight()).isEqualTo(60);
	}

	@Test
	void sideBySideHoldsEveryPanelNextToEachOtherUnderACaption() throws IOException {
		PatchGrid teacher = new PatchGrid(new float[] { 10, 10, 10, 10, 100, 10 }, 2, 3);
		PatchGrid student = new PatchGrid(new float[] { 10, 11, 12, 10, 11, 12 }, 2, 3);
		ColourScale scale = ColourScale.spanning(teacher, student);
		BufferedImage left = Pictures.heatmap(teacher, scale, 16);
		BufferedImage right = Pictures.heatmap(student, scale, 16);
		Path file = this.directory.resolve("side-by-side.png");
		Pictures.writePng(Pictures.sideBySide(List.of(new Panel("teacher", left), new Panel("student", right))), file);

		BufferedImage read = ImageIO.read(file.toFile());
		assertThat(read.getWidth()).isGreaterThan(left.getWidth() + right.getWidth());
		int[] leftAt = find(read, left, 0);
		int[] rightAt = find(read, right, leftAt[0] + left.getWidth());
		assertThat(leftAt).isNotNull();
		assertThat(rightAt).isNotNull();
		assertThat(rightAt[1]).isEqualTo(leftAt[1]);
		assertThat(darkPixels(read, leftAt[1])).as("caption pixels above the panels").isPositive();
	}

	@Test
	void inputImageConvertsPixelForPixel() {
		byte[] pixels = { (byte) 255, 0, 10, /**/ 1, 2, 3 };
		BufferedImage picture = Pictures.fromRgb(new RgbImage(2, 1, pixels));
		assertThat(picture.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0xFF000A);
		assertThat(picture.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0x010203);
	}

	// Top-left corner of the first place, from column fromX on, where panel appears
	// pixel for pixel inside picture.
	private static int[] find(BufferedImage picture, BufferedImage panel, int fromX) {
		for (int y = 0; y + panel.getHeight() <= picture.getHeight(); y++) {
			for (int x = fromX; x + panel.getWidth() <= picture.getWidth(); x++) {
				if (matches(picture, panel, x, y)) {
					return new int[] { x, y };
				}
			}
		}
		return null;
	}

	private static boolean matches(BufferedImage picture, BufferedImage panel, int left, int top) {
		for (int y = 0; y < panel.getHeight(); y++) {
			for (int x = 0; x < panel.getWidth(); x++) {
				if ((picture.getRGB(left + x, top + y) & 0xFFFFFF) != (panel.getRGB(x, y) & 0xFFFFFF)) {
					return false;
				}
			}
		}
		return true;
	}

	// Relative luminance (linear-light sRGB), which orders colours as the eye does.
	private static double luminance(int rgb) {
		double[] weights = { 0.2126, 0.7152, 0.0722 };
		double sum = 0;
		for (int channel = 0; channel < 3; channel++) {
			double value = ((rgb >> (16 - 8 * channel)) & 0xFF) / 255.0;
			double linear = (value <= 0.04045) ? value / 12.92 : Math.pow((value + 0.055) / 1.055, 2.4);
			sum += weights[channel] * linear;
		}
		return sum;
	}

	private static int darkPixels(BufferedImage picture, int aboveY) {
		int count = 0;
		for (int y = 0; y < aboveY; y++) {
			for (int x = 0; x < picture.getWidth(); x++) {
				if ((picture.getRGB(x, y) & 0xFF) < 128) {
					count++;
				}
			}
		}
		return count;
	}

}
