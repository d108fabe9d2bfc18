package ai.phreg.imagesource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes ustar archives member by member, with whatever names and types a test asks for,
 * including those {@code tar} itself refuses to create.
 */
public final class HandWrittenTar {

	private static final int BLOCK = 512;

	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	/** Adds a member; {@code linkName} is the target of a link member. */
	void member(String name, char type, String linkName, byte[] content) {
		byte[] header = new byte[BLOCK];
		put(header, 0, 100, name);
		put(header, 100, 8, "0000644");
		put(header, 108, 8, "0000000");
		put(header, 116, 8, "0000000");
		put(header, 124, 12, String.format(Locale.ROOT, "%011o", content.length));
		put(header, 136, 12, "00000000000");
		header[156] = (byte) type;
		put(header, 157, 100, linkName);
		put(header, 257, 6, "ustar");
		put(header, 263, 2, "00");
		// The checksum is computed with its own field read as spaces.
		put(header, 148, 8, "        ");
		int sum = 0;
		for (byte b : header) {
			sum += b & 0xFF;
		}
		put(header, 148, 8, String.format(Locale.ROOT, "%06o", sum) + "\0 ");
		this.out.writeBytes(header);
		this.out.writeBytes(content);
		this.out.writeBytes(new byte[(BLOCK - content.length % BLOCK) % BLOCK]);
	}

	/** A POSIX extended header giving the next member the path {@code name}. */
	void longName(String name) {
		// "<length> path=<name>\n", where the length counts its own digits too.
		String record = " path=" + name + "\n";
		int length = record.length() + 1;
		while (length != record.length() + String.valueOf(length).length()) {
			length++;
		}
		member("PaxHeader", 'x', "", (length + record).getBytes(StandardCharsets.UTF_8));
	}

	Path writeTo(Path file) throws IOException {
		this.out.writeBytes(new byte[2 * BLOCK]);
		return Files.write(file, this.out.toByteArray());
	}

	private static void put(byte[] header, int offset, int length, String text) {
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		System.arraycopy(bytes, 0, header, offset, Math.min(bytes.length, length));
	}

}
