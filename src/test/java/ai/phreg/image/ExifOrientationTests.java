package ai.phreg.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JPEGs carrying an EXIF orientation come out upright. The test picture is 32x16 with
 * four coloured quadrants, so every orientation puts a different corner first.
 */
class ExifOrientationTests {

	private static final int RED = 0xFF0000;

	private static final int GREEN = 0x00FF00;

	private static final int BLUE = 0x0000FF;

	private static final int WHITE = 0xFFFFFF;

	// Where the stored corners appear once the picture is upright: EXIF says which
	// visual side the stored first row and first column are on.
	@ParameterizedTest(name = "orientation {0}")
	@CsvSource({ "1, RED, GREEN", "2, GREEN, RED", "3, WHITE, BLUE", "4, BLUE, WHITE", "5, RED, BLUE", "6, BLUE, RED",
			"7, WHITE, GREEN", "8, GREEN, WHITE" })
	void theOrientationTagTurnsThePictureUpright(int orientation, String topLeft, String topRight) throws IOException {
		byte[] jpeg = withExif(quadrants(), tiff(ByteOrder.BIG_ENDIAN, orientation));

		RgbImage image = ImageLoader.read(new ByteArrayInputStream(jpeg), "camera.jpg");

		boolean sideways = orientation >= 5;
		assertThat(image.width()).isEqualTo(sideways ? 16 : 32);
		assertThat(image.height()).isEqualTo(sideways ? 32 : 16);
		assertThat(colourNear(image, 2, 2)).isEqualTo(colour(topLeft));
		assertThat(colourNear(image, image.width() - 3, 2)).isEqualTo(colour(topRight));
	}

	@Test
	void littleEndianExifIsReadToo() throws IOException {
		byte[] jpeg = withExif(quadrants(), tiff(ByteOrder.LITTLE_ENDIAN, 6));

		RgbImage image = ImageLoader.read(new ByteArrayInputStream(jpeg), "camera.jpg");

		assertThat(image.width()).isEqualTo(16);
		assertThat(colourNear(image, 2, 2)).isEqualTo(BLUE);
	}

	@Test
	void malformedExifLeavesThePictureAsStored() throws IOException {
		byte[] plain = quadrants();
		byte[] brokenOffset = tiff(ByteOrder.BIG_ENDIAN, 6);
		ByteBuffer.wrap(brokenOffset).putInt(4, 1_000_000);
		byte[] outOfRange = tiff(ByteOrder.BIG_ENDIAN, 9);
		RgbImage stored = ImageLoader.read(new ByteArrayInputStream(plain), "plain.jpg");

		for (byte[] exif : new byte[][] { brokenOffset, outOfRange, Arrays.copyOf(brokenOffset, 5) }) {
			assertThat(ImageLoader.read(new ByteArrayInputStream(withExif(plain, exif)), "odd.jpg")).isEqualTo(stored);
		}
	}

	/** A 32x16 JPEG: red, green on top; blue, white below. */
	private static byte[] quadrants() throws IOException {
		BufferedImage image = new BufferedImage(32, 16, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = image.createGraphics();
		int[][] colours = { { RED, GREEN }, { BLUE, WHITE } };
		for (int row = 0; row < 2; row++) {
			for (int column = 0; column < 2; column++) {
				g.setColor(new Color(colours[row][column]));
				g.fillRect(column * 16, row * 8, 16, 8);
			}
		}
		g.dispose();
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ImageIO.write(image, "jpeg", out);
		return out.toByteArray();
	}

	/** A TIFF structure whose IFD0 holds one entry, the orientation. */
	private static byte[] tiff(ByteOrder order, int orientation) {
		ByteBuffer tiff = ByteBuffer.allocate(26).order(order);
		tiff.put((byte) ((order == ByteOrder.BIG_ENDIAN) ? 'M' : 'I'));
		tiff.put((byte) ((order == ByteOrder.BIG_ENDIAN) ? 'M' : 'I'));
		tiff.putShort((short) 42).putInt(8);
		tiff.putShort((short) 1);
		// tag, type SHORT, count 1, value in the first two of four bytes
		tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
		tiff.putInt(0);
		return tiff.array();
	}

	/** The JPEG with an APP1 EXIF segment after its JFIF APP0 segment. */
	private static byte[] withExif(byte[] jpeg, byte[] tiff) {
		int afterApp0 = 4 + (((jpeg[4] & 0xFF) << 8) | (jpeg[5] & 0xFF));
		byte[] header = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
		ByteBuffer out = ByteBuffer.allocate(jpeg.length + 4 + header.length + tiff.length);
		out.put(jpeg, 0, afterApp0);
		out.put((byte) 0xFF).put((byte) 0xE1).putShort((short) (2 + header.length + tiff.length));
		out.put(header).put(tiff);
		out.put(jpeg, afterApp0, jpeg.length - afterApp0);
		return out.array();
	}

	/** The quadrant colour closest to the pixel, JPEG noise aside. */
	private static int colourNear(RgbImage image, int x, int y) {
		int best = 0;
		long bestDistance = Long.MAX_VALUE;
		for (int candidate : new int[] { RED, GREEN, BLUE, WHITE }) {
			long distance = 0;
			for (int c = 0; c < 3; c++) {
				int difference = image.sample(x, y, c) - ((candidate >> (16 - 8 * c)) & 0xFF);
				distance += (long) difference * difference;
			}
			if (distance < bestDistance) {
				best = candidate;
				bestDistance = distance;
			}
		}
		return best;
	}

	private static int colour(String name) {
		return switch (name) {
			case "RED" -> RED;
			case "GREEN" -> GREEN;
			case "BLUE" -> BLUE;
			default -> WHITE;
		};
	}

}
