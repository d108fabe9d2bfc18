package ai.phreg.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import ai.phreg.Fixtures;
import ai.phreg.SpecialFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
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
	void sixteenBitGreyPngIsScaledNotClipped() throws IOException {
		// Each 8-bit value v is v * 257 in 16 bits; mid-grey used to come out white.
		byte[] png = HandBuiltPng.sixteenBit(5, HandBuiltPng.GREY, 0, 100, 257, 0x8080, 65535);

		assertThat(read(png).pixels()).containsExactly(bytes(0, 0, 0, 0, 0, 0, 1, 1, 1, 128, 128, 128, 255, 255, 255));
	}

	@Test
	void sixteenBitGreyWithAlphaIsScaledAndTheAlphaDropped() throws IOException {
		byte[] png = HandBuiltPng.sixteenBit(2, HandBuiltPng.GREY_ALPHA, 1000, 65535, 0xABCD, 0);

		assertThat(read(png).pixels()).containsExactly(bytes(4, 4, 4, 171, 171, 171));
	}

	@Test
	void sixteenBitRgbPngIsScaledWithRounding() throws IOException {
		byte[] png = HandBuiltPng.sixteenBit(2, HandBuiltPng.RGB, 0x1234, 0xFFFF, 0x00FF, 0x8000, 0x7FFF, 0x0100);

		assertThat(read(png).pixels()).containsExactly(bytes(18, 255, 1, 128, 127, 1));
	}

	@Test
	void sixteenBitRgbaPngIsScaledAndTheAlphaDropped() throws IOException {
		byte[] png = HandBuiltPng.sixteenBit(1, HandBuiltPng.RGBA, 0, 0x8080, 65535, 0);

		assertThat(read(png).pixels()).containsExactly(bytes(0, 128, 255));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("otherFormats")
	void otherFormatsAreNamedAsUnsupportedWhateverTheFileIsCalled(String format, byte[] content) {
		assertThatExceptionOfType(UnreadableImageException.class)
			.isThrownBy(() -> ImageLoader.read(new ByteArrayInputStream(content), "picture.jpg"))
			.withMessage("Cannot read image picture.jpg: unsupported format " + format + "; use JPEG or PNG");
	}

	static Stream<Arguments> otherFormats() throws IOException {
		BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
		byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1);
		return Stream.of(Arguments.of("GIF", encode(image, "gif")), Arguments.of("BMP", encode(image, "bmp")),
				Arguments.of("TIFF", encode(image, "tiff")), Arguments.of("WEBP", webp));
	}

	@Test
	void unknownBytesAreRefusedWithoutQuotingThem() {
		byte[] secret = SpecialFiles.SECRET.getBytes(StandardCharsets.UTF_8);

		assertThatExceptionOfType(UnreadableImageException.class)
			.isThrownBy(() -> ImageLoader.read(new ByteArrayInputStream(secret), "passwd.png"))
			.withMessage("Cannot read image passwd.png: not a JPEG or PNG image; use JPEG or PNG");
	}

	@Test
	void anImageOverThePixelBudgetIsRefusedFromItsHeader() throws IOException {
		// 100 megapixels in a 100 kB file: decoded, it would take 400 MB.
		byte[] bomb = HandBuiltPng.black(10_000, 10_000);
		assertThat(bomb.length).isLessThan(1 << 20);

		assertThatExceptionOfType(UnreadableImageException.class)
			.isThrownBy(() -> ImageLoader.read(new ByteArrayInputStream(bomb), "bomb.png"))
			.withMessage("Cannot read image bomb.png: the image is 10000x10000 pixels (100.0 megapixels), "
					+ "over the limit of 40.0; scale it down");
	}

	@Test
	void thePixelBudgetIsConfigurable() throws IOException {
		ImageLimits limits = new ImageLimits(1600, 50);
		byte[] fits = HandBuiltPng.black(40, 40);
		byte[] over = HandBuiltPng.black(41, 40);

		assertThat(ImageLoader.read(new ByteArrayInputStream(fits), "fits.png", limits).width()).isEqualTo(40);
		assertThatExceptionOfType(UnreadableImageException.class)
			.isThrownBy(() -> ImageLoader.read(new ByteArrayInputStream(over), "over.png", limits))
			.withMessageContaining("41x40 pixels");
	}

	@Test
	void aStripTooLongForItsWidthIsRefused() throws IOException {
		// Its shorter side scaled to 224 would make it 3.7 million pixels tall.
		byte[] strip = HandBuiltPng.black(3, 50_000);

		assertThatExceptionOfType(UnreadableImageException.class)
			.isThrownBy(() -> ImageLoader.read(new ByteArrayInputStream(strip), "strip.png"))
			.withMessageContaining("3x50000 pixels, more than 50 times longer than wide; crop it");
		assertThat(ImageLoader.read(new ByteArrayInputStream(HandBuiltPng.black(3, 150)), "ok.png").height())
			.isEqualTo(150);
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void aFifoIsNotReadAsAnImage() throws Exception {
		Path fifo = SpecialFiles.fifo(this.temp.resolve("pipe.jpg"));

		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> ImageLoader.read(fifo))
			.withMessageContaining("not a regular file");
	}

	private static RgbImage read(byte[] encoded) throws IOException {
		return ImageLoader.read(new ByteArrayInputStream(encoded), "image.png");
	}

	private static byte[] encode(BufferedImage image, String format) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		assertThat(ImageIO.write(image, format, out)).isTrue();
		return out.toByteArray();
	}

	private RgbImage roundTrip(BufferedImage image) throws IOException {
		Path file = this.temp.resolve("image.png");
		assertThat(ImageIO.write(image, "png", file.toFile())).isTrue();
		return ImageLoader.read(file);
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
