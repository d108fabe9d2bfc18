package ai.phreg.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The EXIF orientation of a JPEG (tag 0x0112, values 1 to 8) and the transform that turns
 * the stored pixels upright. Cameras store pictures as the sensor saw them and record how
 * the camera was held; viewers rotate accordingly, so a user expects the model to see the
 * picture upright too. Malformed EXIF data is ignored (orientation 1), as viewers do.
 */
final class ExifOrientation {

	static final int UPRIGHT = 1;

	private static final int ORIENTATION_TAG = 0x0112;

	private static final byte[] EXIF_HEADER = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);

	private ExifOrientation() {
	}

	/**
	 * The orientation a JPEG's first EXIF segment records.
	 * @param jpeg the whole file
	 * @return 1 to 8; 1 when there is no EXIF segment, no orientation or a malformed one
	 */
	static int of(byte[] jpeg) {
		int pos = 2;
		// Markers before the image data: APPn segments come first, EXIF in APP1.
		while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
			int marker = jpeg[pos + 1] & 0xFF;
			if (marker == 0xDA || marker == 0xD9) {
				break;
			}
			int length = ((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF);
			int body = pos + 4;
			if (length < 2 || body + length - 2 > jpeg.length) {
				break;
			}
			if (marker == 0xE1 && length - 2 >= EXIF_HEADER.length
					&& Arrays.equals(jpeg, body, body + EXIF_HEADER.length, EXIF_HEADER, 0, EXIF_HEADER.length)) {
				int tiff = body + EXIF_HEADER.length;
				return orientation(ByteBuffer.wrap(jpeg, tiff, body + length - 2 - tiff).slice());
			}
			pos += 2 + length;
		}
		return UPRIGHT;
	}

	/** Tag 0x0112 of IFD0 of a TIFF structure, or 1 if absent or malformed. */
	private static int orientation(ByteBuffer tiff) {
		if (tiff.remaining() < 8) {
			return UPRIGHT;
		}
		byte first = tiff.get(0);
		if (first == 'I' && tiff.get(1) == 'I') {
			tiff.order(ByteOrder.LITTLE_ENDIAN);
		}
		else if (first != 'M' || tiff.get(1) != 'M') {
			return UPRIGHT;
		}
		long ifd = Integer.toUnsignedLong(tiff.getInt(4));
		if (ifd + 2 > tiff.limit()) {
			return UPRIGHT;
		}
		int entries = Short.toUnsignedInt(tiff.getShort((int) ifd));
		for (int i = 0; i < entries; i++) {
			long entry = ifd + 2 + 12L * i;
			if (entry + 12 > tiff.limit()) {
				return UPRIGHT;
			}
			int tag = Short.toUnsignedInt(tiff.getShort((int) entry));
			int type = Short.toUnsignedInt(tiff.getShort((int) entry + 2));
			// SHORT, one value, stored in the first two bytes of the value field.
			if (tag == ORIENTATION_TAG && type == 3) {
				int value = Short.toUnsignedInt(tiff.getShort((int) entry + 8));
				return (value >= 1 && value <= 8) ? value : UPRIGHT;
			}
		}
		return UPRIGHT;
	}

	/**
	 * Turns stored pixels upright, as PIL's {@code ImageOps.exif_transpose} does.
	 * @param image the pixels as stored
	 * @param orientation the EXIF orientation, 1 to 8
	 * @return the upright image; the same image for orientation 1
	 */
	static RgbImage upright(RgbImage image, int orientation) {
		if (orientation == UPRIGHT) {
			return image;
		}
		int width = image.width();
		int height = image.height();
		// Orientations 5 to 8 are stored on their side: width and height swap.
		boolean sideways = orientation >= 5;
		int outWidth = sideways ? height : width;
		int outHeight = sideways ? width : height;
		byte[] in = image.pixels();
		byte[] out = new byte[in.length];
		for (int y = 0; y < outHeight; y++) {
			for (int x = 0; x < outWidth; x++) {
				int sourceX;
				int sourceY;
				switch (orientation) {
					case 2 -> {
						sourceX = width - 1 - x;
						sourceY = y;
					}
					case 3 -> {
						sourceX = width - 1 - x;
						sourceY = height - 1 - y;
					}
					case 4 -> {
						sourceX = x;
						sourceY = height - 1 - y;
					}
					case 5 -> {
						sourceX = y;
						sourceY = x;
					}
					case 6 -> {
						sourceX = y;
						sourceY = height - 1 - x;
					}
					case 7 -> {
						sourceX = width - 1 - y;
						sourceY = height - 1 - x;
					}
					case 8 -> {
						sourceX = width - 1 - y;
						sourceY = x;
					}
					default ->
						throw new IllegalArgumentException("EXIF orientation must be 1 to 8, got " + orientation);
				}
				System.arraycopy(in, (sourceY * width + sourceX) * 3, out, (y * outWidth + x) * 3, 3);
			}
		}
		return new RgbImage(outWidth, outHeight, out);
	}

}
