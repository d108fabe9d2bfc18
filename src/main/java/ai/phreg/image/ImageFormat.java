package ai.phreg.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The image formats phreg recognises: JPEG and PNG, which it reads, and common formats it
 * does not read but names, so that a user learns why a picture was skipped instead of
 * finding it silently left out.
 */
public enum ImageFormat {

	JPEG(true, "jpg", "jpeg"), PNG(true, "png"), GIF(false, "gif"), WEBP(false, "webp"), TIFF(false, "tif", "tiff"),
	BMP(false, "bmp", "dib"), HEIF(false, "heic", "heif"), AVIF(false, "avif");

	private static final byte[] PNG_SIGNATURE = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

	private final boolean supported;

	private final List<String> extensions;

	ImageFormat(boolean supported, String... extensions) {
		this.supported = supported;
		this.extensions = List.of(extensions);
	}

	/** Whether phreg decodes this format. */
	public boolean supported() {
		return this.supported;
	}

	/** What a user is told about an image in this format when it is not supported. */
	public String unsupportedReason() {
		return "unsupported format " + name() + "; use JPEG or PNG";
	}

	/**
	 * The format a file name's extension claims, case-insensitively.
	 * @param fileName a file or archive member name
	 * @return the format, or empty when the extension is not an image format's
	 */
	public static Optional<ImageFormat> ofName(String fileName) {
		int dot = fileName.lastIndexOf('.');
		if (dot < 0) {
			return Optional.empty();
		}
		String extension = fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
		return Arrays.stream(values()).filter((format) -> format.extensions.contains(extension)).findFirst();
	}

	/**
	 * The format the first bytes of an encoded image show, whatever its name says.
	 * @param bytes the start of the file
	 * @return the format, or empty when the bytes are none of these formats
	 */
	public static Optional<ImageFormat> sniff(byte[] bytes) {
		if (startsWith(bytes, 0, (byte) 0xFF, (byte) 0xD8, (byte) 0xFF)) {
			return Optional.of(JPEG);
		}
		if (startsWith(bytes, 0, PNG_SIGNATURE)) {
			return Optional.of(PNG);
		}
		if (startsWith(bytes, 0, ascii("GIF8"))) {
			return Optional.of(GIF);
		}
		if (startsWith(bytes, 0, ascii("RIFF")) && startsWith(bytes, 8, ascii("WEBP"))) {
			return Optional.of(WEBP);
		}
		if (startsWith(bytes, 0, ascii("II*\0")) || startsWith(bytes, 0, ascii("MM\0*"))) {
			return Optional.of(TIFF);
		}
		if (startsWith(bytes, 0, ascii("BM"))) {
			return Optional.of(BMP);
		}
		if (startsWith(bytes, 4, ascii("ftypavi"))) {
			return Optional.of(AVIF);
		}
		if (startsWith(bytes, 4, ascii("ftyphei")) || startsWith(bytes, 4, ascii("ftypmif1"))
				|| startsWith(bytes, 4, ascii("ftyphev"))) {
			return Optional.of(HEIF);
		}
		return Optional.empty();
	}

	private static byte[] ascii(String text) {
		return text.getBytes(StandardCharsets.ISO_8859_1);
	}

	private static boolean startsWith(byte[] bytes, int offset, byte... prefix) {
		if (bytes.length < offset + prefix.length) {
			return false;
		}
		return Arrays.equals(bytes, offset, offset + prefix.length, prefix, 0, prefix.length);
	}

}
