package ai.phreg.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.function.IntUnaryOperator;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG and PNG files into {@link RgbImage}s with the pixel values PIL 9.4's
 * {@code Image.open(f).convert("RGB")} gives, because the reference pipeline starts from
 * those values. javax.imageio does the decoding; the conversion to RGB is done here, from
 * the raw raster samples, since ImageIO's own {@code getRGB} applies colour management
 * (embedded ICC profiles) that PIL does not. Conversions follow PIL:
 * <ul>
 * <li>greyscale is replicated to R=G=B, palette images are looked up, and alpha or
 * transparency is dropped, not composited onto a background;</li>
 * <li>16-bit samples keep their high byte, except 16-bit greyscale PNGs without alpha,
 * which PIL 9.4 opens in mode {@code I} and {@code convert("RGB")} clips to 255 rather
 * than scales (so most such images turn white; we reproduce it rather than improve on
 * it).</li>
 * </ul>
 * Anything that is not a complete JPEG or PNG fails with an
 * {@link UnreadableImageException} naming the source. In particular a truncated JPEG is
 * refused: ImageIO would silently return it with the missing part filled grey, whereas
 * PIL raises "image file is truncated". We refuse every JPEG whose byte stream ends
 * before its end-of-image marker, even one missing only that final marker, which PIL
 * would accept. CMYK/YCCK JPEGs are not supported (ImageIO cannot decode them).
 */
public final class ImageLoader {

	private static final byte[] PNG_SIGNATURE = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

	private ImageLoader() {
	}

	/**
	 * Reads an image file.
	 * @param file a JPEG or PNG file
	 * @return the image as 8-bit RGB
	 * @throws UnreadableImageException if the file cannot be read or decoded
	 */
	public static RgbImage read(Path file) throws IOException {
		String source = file.toString();
		byte[] bytes;
		try {
			bytes = Files.readAllBytes(file);
		}
		catch (IOException ex) {
			throw new UnreadableImageException(source, "cannot read the file (" + describe(ex) + ")", ex);
		}
		return decode(bytes, source);
	}

	/**
	 * Reads an image from a stream, which is consumed but not closed.
	 * @param in the encoded JPEG or PNG bytes
	 * @param sourceName name used in error messages, e.g. an archive entry
	 * @return the image as 8-bit RGB
	 * @throws UnreadableImageException if the stream cannot be read or decoded
	 */
	public static RgbImage read(InputStream in, String sourceName) throws IOException {
		byte[] bytes;
		try {
			bytes = in.readAllBytes();
		}
		catch (IOException ex) {
			throw new UnreadableImageException(sourceName, "cannot read the stream (" + describe(ex) + ")", ex);
		}
		return decode(bytes, sourceName);
	}

	private static RgbImage decode(byte[] bytes, String source) throws UnreadableImageException {
		if (bytes.length == 0) {
			throw new UnreadableImageException(source, "the file is empty");
		}
		Format format = Format.of(bytes);
		if (format == null) {
			throw new UnreadableImageException(source, "not a JPEG or PNG image (starts with "
					+ HexFormat.ofDelimiter(" ").formatHex(bytes, 0, Math.min(8, bytes.length)) + ")");
		}
		if (format == Format.JPEG && !reachesEndOfImage(bytes)) {
			throw new UnreadableImageException(source, "truncated JPEG (the data ends before the end-of-image marker)");
		}
		try {
			BufferedImage image = decodeWithImageIo(bytes, format);
			return toRgb(image, format == Format.PNG && isSixteenBitGreyPng(bytes));
		}
		catch (IOException | RuntimeException ex) {
			// ImageIO reports corrupt data with assorted runtime exceptions as well.
			throw new UnreadableImageException(source, "corrupt or unsupported " + format + " (" + describe(ex) + ")",
					ex);
		}
	}

	private static BufferedImage decodeWithImageIo(byte[] bytes, Format format) throws IOException {
		ImageReader reader = ImageIO.getImageReadersByFormatName(format.imageIoName).next();
		try (ImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
			reader.setInput(stream, true, true);
			long samples = (long) reader.getWidth(0) * reader.getHeight(0) * 3;
			if (samples > Integer.MAX_VALUE) {
				throw new IIOException("image too large: " + reader.getWidth(0) + "x" + reader.getHeight(0));
			}
			return reader.read(0);
		}
		finally {
			reader.dispose();
		}
	}

	private static RgbImage toRgb(BufferedImage image, boolean clipSixteenBitGrey) throws IIOException {
		int width = image.getWidth();
		int height = image.getHeight();
		Raster raster = image.getRaster();
		ColorModel model = image.getColorModel();
		byte[] out = new byte[width * height * 3];
		if (model instanceof IndexColorModel palette) {
			// Also covers 1/2/4-bit greyscale PNGs, which ImageIO maps to a grey ramp
			// palette
			// with the same 0..255 scaling PIL applies.
			int[] indices = new int[width];
			for (int y = 0; y < height; y++) {
				raster.getSamples(0, y, width, 1, 0, indices);
				for (int x = 0; x < width; x++) {
					int o = (y * width + x) * 3;
					out[o] = (byte) palette.getRed(indices[x]);
					out[o + 1] = (byte) palette.getGreen(indices[x]);
					out[o + 2] = (byte) palette.getBlue(indices[x]);
				}
			}
			return new RgbImage(width, height, out);
		}
		int colours = model.getNumColorComponents();
		int spaceType = model.getColorSpace().getType();
		boolean grey = colours == 1 && spaceType == ColorSpace.TYPE_GRAY;
		if (!grey && !(colours == 3 && spaceType == ColorSpace.TYPE_RGB)) {
			throw new IIOException("unsupported colour model with " + colours + " components");
		}
		IntUnaryOperator toByte = byteConversion(raster.getSampleModel().getSampleSize(0), grey && clipSixteenBitGrey);
		// Alpha, if any, is the last band and is simply not read.
		int bands = raster.getNumBands();
		int[] row = new int[width * bands];
		for (int y = 0; y < height; y++) {
			raster.getPixels(0, y, width, 1, row);
			for (int x = 0; x < width; x++) {
				int o = (y * width + x) * 3;
				for (int c = 0; c < 3; c++) {
					out[o + c] = (byte) toByte.applyAsInt(row[x * bands + (grey ? 0 : c)]);
				}
			}
		}
		return new RgbImage(width, height, out);
	}

	private static IntUnaryOperator byteConversion(int bits, boolean clip) throws IIOException {
		if (bits == 8) {
			return IntUnaryOperator.identity();
		}
		if (bits == 16) {
			return clip ? (v) -> Math.min(v, 255) : (v) -> v >> 8;
		}
		throw new IIOException("unsupported sample size of " + bits + " bits");
	}

	/**
	 * Whether the PNG is 16-bit greyscale without an alpha channel (colour type 0), the
	 * one case PIL 9.4 clips instead of keeping the high byte. IHDR is always the first
	 * chunk, so its bit depth and colour type sit at fixed offsets.
	 */
	private static boolean isSixteenBitGreyPng(byte[] png) {
		return png.length > 25 && png[12] == 'I' && png[13] == 'H' && png[14] == 'D' && png[15] == 'R' && png[24] == 16
				&& png[25] == 0;
	}

	/**
	 * Walks the JPEG marker structure to see whether the end-of-image marker is present.
	 * Segments are skipped by their declared length, so an EOI inside an embedded EXIF
	 * thumbnail does not count; entropy-coded data is skipped byte by byte, which is safe
	 * because a 0xFF there is always followed by 0x00 (stuffing) or a restart marker.
	 * Stray bytes between segments are skipped as libjpeg does.
	 */
	private static boolean reachesEndOfImage(byte[] jpeg) {
		int pos = 2;
		while (pos + 1 < jpeg.length) {
			if ((jpeg[pos] & 0xFF) != 0xFF) {
				pos++;
				continue;
			}
			int marker = jpeg[pos + 1] & 0xFF;
			if (marker == 0xFF) {
				// Fill byte before a marker.
				pos++;
				continue;
			}
			pos += 2;
			if (marker == 0xD9) {
				return true;
			}
			boolean standalone = marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8);
			if (!standalone) {
				if (pos + 1 >= jpeg.length) {
					return false;
				}
				pos += ((jpeg[pos] & 0xFF) << 8) | (jpeg[pos + 1] & 0xFF);
			}
		}
		return false;
	}

	private static String describe(Throwable ex) {
		StringBuilder text = new StringBuilder();
		for (Throwable t = ex; t != null; t = t.getCause()) {
			if (!text.isEmpty()) {
				text.append(": ");
			}
			text.append((t.getMessage() != null) ? t.getMessage() : t.getClass().getSimpleName());
		}
		return text.toString();
	}

	private enum Format {

		JPEG("jpeg"), PNG("png");

		private final String imageIoName;

		Format(String imageIoName) {
			this.imageIoName = imageIoName;
		}

		static Format of(byte[] bytes) {
			if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8
					&& (bytes[2] & 0xFF) == 0xFF) {
				return JPEG;
			}
			if (bytes.length >= PNG_SIGNATURE.length) {
				for (int i = 0; i < PNG_SIGNATURE.length; i++) {
					if (bytes[i] != PNG_SIGNATURE[i]) {
						return null;
					}
				}
				return PNG;
			}
			return null;
		}

	}

}
