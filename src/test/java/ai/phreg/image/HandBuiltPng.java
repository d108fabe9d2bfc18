package ai.phreg.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/**
 * PNG files written chunk by chunk, so tests control exactly what the file declares: bit
 * depth, colour type and size, including sizes far too large to build as a
 * {@link java.awt.image.BufferedImage}.
 */
public final class HandBuiltPng {

	/** PNG colour types. */
	public static final int GREY = 0;

	public static final int RGB = 2;

	public static final int GREY_ALPHA = 4;

	public static final int RGBA = 6;

	private HandBuiltPng() {
	}

	/**
	 * A 16-bit PNG of the given samples.
	 * @param width pixels per row
	 * @param colourType {@link #GREY}, {@link #RGB}, {@link #GREY_ALPHA} or {@link #RGBA}
	 * @param samples row-major, channels interleaved, 0 to 65535
	 */
	public static byte[] sixteenBit(int width, int colourType, int... samples) throws IOException {
		int channels = switch (colourType) {
			case GREY -> 1;
			case GREY_ALPHA -> 2;
			case RGB -> 3;
			case RGBA -> 4;
			default -> throw new IllegalArgumentException("colour type " + colourType);
		};
		int height = samples.length / (width * channels);
		return png(width, height, 16, colourType, (out) -> {
			for (int y = 0; y < height; y++) {
				// Filter type 0 (none) before every row.
				out.write(0);
				for (int i = 0; i < width * channels; i++) {
					int sample = samples[y * width * channels + i];
					out.write(sample >> 8);
					out.write(sample);
				}
			}
		});
	}

	/** An 8-bit greyscale PNG of any size, all black; it compresses to almost nothing. */
	public static byte[] black(int width, int height) throws IOException {
		byte[] row = new byte[1 + width];
		return png(width, height, 8, GREY, (out) -> {
			for (int y = 0; y < height; y++) {
				out.write(row);
			}
		});
	}

	private static byte[] png(int width, int height, int bitDepth, int colourType, Rows rows) throws IOException {
		ByteArrayOutputStream file = new ByteArrayOutputStream();
		file.write(new byte[] { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' });
		ByteBuffer header = ByteBuffer.allocate(13)
			.putInt(width)
			.putInt(height)
			.put((byte) bitDepth)
			.put((byte) colourType)
			.put(new byte[3]);
		chunk(file, "IHDR", header.array());
		ByteArrayOutputStream compressed = new ByteArrayOutputStream();
		try (DeflaterOutputStream deflate = new DeflaterOutputStream(compressed)) {
			rows.write(deflate);
		}
		chunk(file, "IDAT", compressed.toByteArray());
		chunk(file, "IEND", new byte[0]);
		return file.toByteArray();
	}

	private static void chunk(ByteArrayOutputStream file, String type, byte[] data) {
		byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
		CRC32 crc = new CRC32();
		crc.update(typeBytes);
		crc.update(data);
		file.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
		file.writeBytes(typeBytes);
		file.writeBytes(data);
		file.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
	}

	private interface Rows {

		void write(OutputStream out) throws IOException;

	}

}
