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
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.IntUnaryOperator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG and PNG files into {@link RgbImage}s with the pixel values PIL 9.4's
 * {@code Image.open(f).convert("RGB")} gives for 8-bit images, because the reference
 * pipeline starts from those values. javax.imageio does the decoding; the conversion to
 * RGB is done here, from the raw raster samples, since ImageIO's own {@code getRGB}
 * applies colour management (embedded ICC profiles) that PIL does not. Conversions:
 * <ul>
 * <li>greyscale is replicated to R=G=B, palette images are looked up, and alpha or
 * transparency is dropped, not composited onto a background, as PIL does;</li>
 * <li>16-bit samples are scaled to 8 bits with rounding ({@code v * 255 / 65535}). PIL
 * 9.4 keeps the high byte of 16-bit colour, and clips 16-bit greyscale to 255, which
 * turns most such images white; we read what the image shows instead;</li>
 * <li>a JPEG's EXIF orientation is applied, so the picture is upright as any viewer shows
 * it (PIL leaves that to {@code ImageOps.exif_transpose}).</li>
 * </ul>
 * The header is read before the pixels: an image over the {@link ImageLimits} is refused
 * without being decoded. Anything that is not a complete JPEG or PNG within the limits
 * fails with an {@link UnreadableImageException} naming the source and saying what to do;
 * other formats are named ("unsupported format GIF; use JPEG or PNG"). In particular a
 * truncated JPEG is refused: ImageIO would silently return it with the missing part
 * filled grey, whereas PIL raises "image file is truncated". We refuse every JPEG whose
 * byte stream ends before its end-of-image marker, even one missing only that final
 * marker, which PIL would accept. CMYK/YCCK JPEGs are not supported (ImageIO cannot
 * decode them). Messages never quote the file's bytes.
 */
public final class ImageLoader {

	private ImageLoader() {
	}

	/**
	 * Reads an image file within the {@link ImageLimits#DEFAULT default limits}.
	 * @param file a JPEG or PNG file
	 * @return the image as 8-bit RGB, upright
	 * @throws UnreadableImageException if the file cannot be read or decoded, or is not a
	 * regular file (a FIFO would block the reader)
	 */
	public static RgbImage read(Path file) throws IOException {
		String source = file.toString();
		try {
			if (!Files.readAttributes(file, BasicFileAttributes.class).isRegularFile()) {
				throw new UnreadableImageException(source, "not a regular file; name a JPEG or PNG file");
			}
			try (InputStream in = Files.newInputStream(file)) {
				return read(in, source, ImageLimits.DEFAULT);
			}
		}
		catch (UnreadableImageException ex) {
			throw ex;
		}
		catch (IOException ex) {
			throw new UnreadableImageException(source, "cannot read the file (" + describe(ex) + ")", ex);
		}
	}

	/**
	 * Reads an image from a stream, which is consumed but not closed, within the
	 * {@link ImageLimits#DEFAULT default limits}.
	 * @param in the encoded JPEG or PNG bytes
	 * @param sourceName name used in error messages, e.g. an archive entry
	 * @return the image as 8-bit RGB, upright
	 * @throws UnreadableImageException if the stream cannot be read or decoded
	 */
	public static RgbImage read(InputStream in, String sourceName) throws IOException {
		return read(in, sourceName, ImageLimits.DEFAULT);
	}

	/**
	 * Reads an image from a stream, which is consumed but not closed.
	 * @param in the encoded JPEG or PNG bytes
	 * @param sourceName name used in error messages, e.g. an archive entry
	 * @param limits the largest image to decode
	 * @return the image as 8-bit RGB, upright
	 * @throws UnreadableImageException if the stream cannot be read or decoded, or holds
	 * an image over the limits
	 */
	public static RgbImage read(InputStream in, String sourceName, ImageLimits limits) throws IOException {
		byte[] bytes;
		try {
			bytes = in.readNBytes(limits.maxFileBytes() + 1);
		}
		catch (IOException ex) {
			throw new UnreadableImageException(sourceName, "cannot read the stream (" + describe(ex) + ")", ex);
		}
		String tooLarge = limits.fileSizeRefusal(bytes.length);
		if (tooLarge != null) {
			throw new UnreadableImageException(sourceName, tooLarge);
		}
		return decode(bytes, sourceName, limits);
	}

	private static RgbImage decode(byte[] bytes, String source, ImageLimits limits) throws UnreadableImageException {
		if (bytes.length == 0) {
			throw new UnreadableImageException(source, "the file is empty");
		}
		ImageFormat format = ImageFormat.sniff(bytes)
			.orElseThrow(() -> new UnreadableImageException(source, "not a JPEG or PNG image; use JPEG or PNG"));
		if (!format.supported()) {
			throw new UnreadableImageException(source, format.unsupportedReason());
		}
		if (format == ImageFormat.JPEG && !reachesEndOfImage(bytes)) {
			throw new UnreadableImageException(source, "truncated JPEG (the data ends before the end-of-image marker)");
		}
		BufferedImage image;
		try {
			image = decodeWithImageIo(bytes, format, source, limits);
		}
		catch (UnreadableImageException ex) {
			throw ex;
		}
		catch (IOException ex) {
			throw new UnreadableImageException(source, "corrupt or unsupported " + format + " (" + describe(ex) + ")",
					ex);
		}
		catch (RuntimeException ex) {
			// ImageIO reports some corrupt data with runtime exceptions whose messages
			// (array indices and the like) mean nothing to a user.
			throw new UnreadableImageException(source,
					"corrupt or unsupported " + format + "; re-save it as a standard JPEG or PNG", ex);
		}
		RgbImage rgb = toRgb(image, source);
		return (format == ImageFormat.JPEG) ? ExifOrientation.upright(rgb, ExifOrientation.of(bytes)) : rgb;
	}

	private static BufferedImage decodeWithImageIo(byte[] bytes, ImageFormat format, String source, ImageLimits limits)
			throws IOException {
		ImageReader reader = ImageIO.getImageReadersByFormatName(format.name()).next();
		try (ImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
			reader.setInput(stream, true, true);
			// Only the header has been read so far.
			String refusal = limits.refusal(reader.getWidth(0), reader.getHeight(0));
			if (refusal != null) {
				throw new UnreadableImageException(source, refusal);
			}
			return reader.read(0);
		}
		finally {
			reader.dispose();
		}
	}

	private static RgbImage toRgb(BufferedImage image, String source) throws UnreadableImageException {
		int width = image.getWidth();
		int height = image.getHeight();
		Raster raster = image.getRaster();
		ColorModel model = image.getColorModel();
		byte[] out = new byte[width * height * 3];
		if (model instanceof IndexColorModel palette) {
			// Also covers 1/2/4-bit greyscale PNGs, which ImageIO maps to a grey ramp
			// palette with the same 0..255 scaling PIL applies.
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
			throw new UnreadableImageException(source, "unsupported colour model with " + colours
					+ " components (such as CMYK); save it as an RGB or greyscale JPEG or PNG");
		}
		IntUnaryOperator toByte = byteConversion(raster.getSampleModel().getSampleSize(0), source);
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

	private static IntUnaryOperator byteConversion(int bits, String source) throws UnreadableImageException {
		if (bits == 8) {
			return IntUnaryOperator.identity();
		}
		if (bits == 16) {
			// Rounded, so that 0 and 65535 map to 0 and 255 and the rest evenly between.
			return (v) -> (v * 255 + 32767) / 65535;
		}
		throw new UnreadableImageException(source,
				"unsupported sample size of " + bits + " bits; save it with 8 or 16 bits per sample");
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

	/** The messages of a failure and its causes, without exception class names. */
	private static String describe(Throwable ex) {
		StringBuilder text = new StringBuilder();
		for (Throwable t = ex; t != null; t = t.getCause()) {
			if (t.getMessage() != null && !(t instanceof RuntimeException)) {
				text.append(text.isEmpty() ? "" : ": ").append(t.getMessage());
			}
		}
		return text.isEmpty() ? "no details" : text.toString();
	}

}
