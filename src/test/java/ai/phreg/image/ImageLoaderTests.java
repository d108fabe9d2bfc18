package ai.phreg.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import ai.phreg.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ImageLoaderTests {

	@TempDir
	Path temp;

	static List<Path> photos() throws IOException {
		try (Stream<Path> files = Files.list(Fixtures.photos())) {
			return files.filter((file) -> file.getFileName().toString().endsWith(".jpg")).sorted().toList();
		}
	}

	@Test
	void allBundledPhotosArePresent() throws IOException {
		assertThat(photos()).hasSize(36);
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("photos")
	void decodesPhotoToRgbOfTheSizeImageIoReports(Path photo) throws IOException {
		RgbImage image = ImageLoader.read(photo);

		try (ImageInputStream stream = ImageIO.createImageInputStream(photo.toFile())) {
			ImageReader reader = ImageIO.getImageReaders(stream).next();
			reader.setInput(stream);
			assertThat(image.width()).isEqualTo(reader.getWidth(0));
			assertThat(image.height()).isEqualTo(reader.getHeight(0));
			reader.dispose();
		}
		// These are plain JFIF (sRGB, no ICC profile), where ImageIO's getRGB involves no
		// colour management, so it checks channel order and values.
		BufferedImage reference = ImageIO.read(photo.toFile());
		byte[] expected = new byte[image.pixels().length];
		for (int y = 0; y < image.height(); y++) {
			for (int x = 0; x < image.width(); x++) {
				int rgb = reference.getRGB(x, y);
				int o = (y * image.width() + x) * 3;
				expected[o] = (byte) (rgb >> 16);
				expected[o + 1] = (byte) (rgb >> 8);
				expected[o + 2] = (byte) rgb;
			}
		}
		assertThat(image).as(photo.getFileName().toString())
			.isEqualTo(new RgbImage(image.width(), image.height(), expected));
	}

	@Test
	void jpegAndPngOfTheSamePhotoAgree() throws IOException {
		// Independent check of channel order: the JPEG copy of chelsea differs from the
		// lossless PNG only by compression noise.
		RgbImage png = ImageLoader.read(ReferenceInputs.sourceImage());
		RgbImage jpeg = ImageLoader.read(Fixtures.photos().resolve("skimage-chelsea.jpg"));
		assertThat(jpeg.width()).isEqualTo(png.width());
		assertThat(jpeg.height()).isEqualTo(png.height());
		long total = 0;
		for (int i = 0; i < png.pixels().length; i++) {
			total += Math.abs((png.pixels()[i] & 0xFF) - (jpeg.pixels()[i] & 0xFF));
		}
		assertThat((double) total / png.pixels().length).isLessThan(4.0);
	}

	@Test
	void truncatedJpegIsRefused() throws IOException {
		byte[] jpeg = Files.readAllBytes(Fixtures.photos().resolve("opencv-baboon.jpg"));
		Path truncated = write("half.jpg", Arrays.copyOf(jpeg, jpeg.length / 2));
		// ImageIO alone returns the image, the missing half filled grey, with only a
		// warning.
		assertThat(ImageIO.read(truncated.toFile())).isNotNull();

		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> ImageLoader.read(truncated))
			.withMessageContaining(truncated.toString())
			.withMessageContaining("truncated")
			.satisfies((ex) -> assertThat(ex.getSource()).isEqualTo(truncated.toString()));
	}

	@Test
	void jpegMissingOnlyItsEndMarkerIsRefusedToo() throws IOException {
		byte[] jpeg = Files.readAllBytes(Fixtures.photos().resolve("opencv-baboon.jpg"));
		Path truncated = write("no-eoi.jpg", Arrays.copyOf(jpeg, jpeg.length - 2));
		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> ImageLoader.read(truncated))
			.withMessageContaining(truncated.toString())
			.withMessageContaining("truncated");
	}

	@Test
	void jpegWithBytesAfterItsEndMarkerIsAccepted() throws IOException {
		Path photo = Fixtures.photos().resolve("opencv-baboon.jpg");
		byte[] jpeg = Files.readAllBytes(photo);
		byte[] padded = Arrays.copyOf(jpeg, jpeg.length + 16);
		assertThat(ImageLoader.read(write("trailer.jpg", padded))).isEqualTo(ImageLoader.read(photo));
	}

	@Test
	void truncatedPngIsRefused() throws IOException {
		byte[] png = Files.readAllBytes(ReferenceInputs.sourceImage());
		Path truncated = write("half.png", Arrays.copyOf(png, png.length / 2));
		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> ImageLoader.read(truncated))
			.withMessageContaining(truncated.toString());
	}

	@Test
	void textFileNamedJpgIsRefused() throws IOException {
		Path text = write("notes.jpg", "just some text, not a picture\n".getBytes(StandardCharsets.UTF_8));
		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> ImageLoader.read(text))
			.withMessageContaining(text.toString())
			.withMessageContaining("not a JPEG or PNG");
	}

	@Test
	void emptyFileIsRefused() throws IOException {
		Path empty = write("empty.jpg", new byte[0]);
		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> ImageLoader.read(empty))
			.withMessageContaining(empty.toString())
			.withMessageContaining("empty");
	}

	@Test
	void missingFileIsUnreadable() {
		Path missing = this.temp.resolve("missing.png");
		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> ImageLoader.read(missing))
			.withMessageContaining(missing.toString());
	}

	@Test
	void streamFailuresNameTheSource() {
		InputStream garbage = new ByteArrayInputStream(new byte[] { (byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0x00 });
		assertThatExceptionOfType(UnreadableImageException.class)
			.isThrownBy(() -> ImageLoader.read(garbage, "archive.zip!/a.jpg"))
			.withMessageContaining("archive.zip!/a.jpg");
	}

	@Test
	void streamAndFileGiveTheSameImage() throws IOException {
		Path png = ReferenceInputs.sourceImage();
		try (InputStream in = Files.newInputStream(png)) {
			assertThat(ImageLoader.read(in, "chelsea")).isEqualTo(ImageLoader.read(png));
		}
	}

	@Test
	void greyscalePngIsReplicatedToRgb() throws IOException {
		BufferedImage grey = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
		grey.getRaster().setSamples(0, 0, 3, 1, 0, new int[] { 0, 77, 255 });
		assertThat(roundTrip(grey).pixels()).containsExactly(bytes(0, 0, 0, 77, 77, 77, 255, 255, 255));
	}

	@Test
	void alphaIsDroppedNotComposited() throws IOException {
		BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
		rgba.setRGB(0, 0, 0x40C86432);
		rgba.setRGB(1, 0, 0x00FFFFFF);
		assertThat(roundTrip(rgba).pixels()).containsExactly(bytes(200, 100, 50, 255, 255, 255));
	}

	@Test
	void palettePngIsLookedUpIgnoringTransparency() throws IOException {
		byte[] reds = bytes(10, 200, 0, 255);
		byte[] greens = bytes(20, 100, 0, 255);
		byte[] blues = bytes(30, 50, 0, 255);
		byte[] alphas = bytes(255, 0, 255, 255);
		IndexColorModel palette = new IndexColorModel(2, 4, reds, greens, blues, alphas);
		BufferedImage indexed = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_BINARY, palette);
		indexed.getRaster().setSamples(0, 0, 4, 1, 0, new int[] { 1, 0, 3, 1 });
		assertThat(roundTrip(indexed).pixels())
			.containsExactly(bytes(200, 100, 50, 10, 20, 30, 255, 255, 255, 200, 100, 50));
	}

	@Test
	void blackAndWhitePngBecomesZeroAnd255() throws IOException {
		BufferedImage binary = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_BINARY);
		binary.getRaster().setSamples(0, 0, 2, 1, 0, new int[] { 1, 0 });
		assertThat(roundTrip(binary).pixels()).containsExactly(bytes(255, 255, 255, 0, 0, 0));
	}

	@Test
	void sixteenBitGreyPngIsClippedLikePilModeI() throws IOException {
		BufferedImage grey16 = new BufferedImage(5, 1, BufferedImage.TYPE_USHORT_GRAY);
		grey16.getRaster().setSamples(0, 0, 5, 1, 0, new int[] { 0, 100, 255, 256, 65535 });
		assertThat(roundTrip(grey16).pixels())
			.containsExactly(bytes(0, 0, 0, 100, 100, 100, 255, 255, 255, 255, 255, 255, 255, 255, 255));
	}

	@Test
	void sixteenBitRgbPngKeepsTheHighByte() throws IOException {
		BufferedImage rgb16 = sixteenBit(ColorSpace.CS_sRGB, false, 2);
		rgb16.getRaster().setPixels(0, 0, 2, 1, new int[] { 0x1234, 0xFFFF, 0x00FF, 0x8000, 0x7FFF, 0x0100 });
		assertThat(roundTrip(rgb16).pixels()).containsExactly(bytes(0x12, 0xFF, 0x00, 0x80, 0x7F, 0x01));
	}

	@Test
	void sixteenBitGreyWithAlphaKeepsTheHighByte() throws IOException {
		// PIL opens this as RGBA from the high bytes; only alpha-less 16-bit grey clips.
		BufferedImage greyAlpha16 = sixteenBit(ColorSpace.CS_GRAY, true, 2);
		greyAlpha16.getRaster().setPixels(0, 0, 2, 1, new int[] { 1000, 0xFFFF, 0xABCD, 0 });
		assertThat(roundTrip(greyAlpha16).pixels()).containsExactly(bytes(3, 3, 3, 0xAB, 0xAB, 0xAB));
	}

	private RgbImage roundTrip(BufferedImage image) throws IOException {
		Path file = this.temp.resolve("image.png");
		assertThat(ImageIO.write(image, "png", file.toFile())).isTrue();
		return ImageLoader.read(file);
	}

	private static BufferedImage sixteenBit(int colorSpace, boolean alpha, int width) {
		ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(colorSpace), alpha, false,
				alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
		WritableRaster raster = model.createCompatibleWritableRaster(width, 1);
		return new BufferedImage(model, raster, false, null);
	}

	private Path write(String name, byte[] content) throws IOException {
		return Files.write(this.temp.resolve(name), content);
	}

	private static byte[] bytes(int... values) {
		byte[] out = new byte[values.length];
		for (int i = 0; i < values.length; i++) {
			out[i] = (byte) values[i];
		}
		return out;
	}

}
