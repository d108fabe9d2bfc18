package ai.phreg.imagesource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import ai.phreg.image.ImageLoader;
import ai.phreg.image.RgbImage;

/**
 * The JPEG and PNG members of a (POSIX ustar or GNU) {@code .tar} archive, read in place:
 * the archive is indexed once and each image read from its offset, so a large archive is
 * never unpacked.
 */
public final class TarImages implements ImageSource {

	private static final int BLOCK = 512;

	private static final long MAX_HEADER_DATA = 1 << 20;

	private final Path archive;

	private final List<Member> members;

	private TarImages(Path archive, List<Member> members) {
		this.archive = archive;
		this.members = members;
	}

	public static TarImages scan(Path archive) throws IOException {
		List<Member> members = new ArrayList<>();
		try (FileChannel channel = FileChannel.open(archive, StandardOpenOption.READ)) {
			long position = 0;
			long length = channel.size();
			ByteBuffer header = ByteBuffer.allocate(BLOCK);
			String longName = null;
			while (position + BLOCK <= length) {
				header.clear();
				channel.read(header, position);
				byte[] block = header.array();
				if (isZero(block)) {
					break;
				}
				long size = octal(block, 124, 12, archive);
				char type = (char) block[156];
				long data = position + BLOCK;
				String prefix = text(block, 345, 155);
				String name = (longName != null) ? longName
						: (prefix.isEmpty() ? text(block, 0, 100) : prefix + "/" + text(block, 0, 100));
				if (data + size > length) {
					throw new IOException("Archive " + archive + " is truncated inside member " + name);
				}
				longName = null;
				if (type == 'L' || type == 'x') {
					// GNU long names and POSIX extended headers name the member that
					// follows.
					longName = extendedName(channel, data, size, type, archive);
				}
				else if ((type == '0' || type == '\0') && ImageSource.isImageName(name)) {
					members.add(new Member(name, data, size));
				}
				position = data + ((size + BLOCK - 1) / BLOCK) * BLOCK;
			}
		}
		if (members.isEmpty()) {
			throw new IOException("Archive " + archive + " holds no .jpg, .jpeg or .png member");
		}
		members.sort((a, b) -> a.name.compareTo(b.name));
		return new TarImages(archive, List.copyOf(members));
	}

	/**
	 * The member name a GNU {@code L} or POSIX {@code x} entry carries, null if it has
	 * none.
	 */
	private static String extendedName(FileChannel channel, long offset, long size, char type, Path archive)
			throws IOException {
		if (size > MAX_HEADER_DATA) {
			throw new IOException("Archive " + archive + " has an extended header of " + size + " bytes");
		}
		ByteBuffer bytes = ByteBuffer.allocate((int) size);
		channel.read(bytes, offset);
		String text = new String(bytes.array(), StandardCharsets.UTF_8);
		if (type == 'L') {
			return text.replace("\0", "");
		}
		// Records "<length> <key>=<value>\n"
		for (String record : text.split("\n")) {
			int space = record.indexOf(' ');
			if (space > 0 && record.startsWith("path=", space + 1)) {
				return record.substring(space + 1 + "path=".length());
			}
		}
		return null;
	}

	private static boolean isZero(byte[] block) {
		for (byte b : block) {
			if (b != 0) {
				return false;
			}
		}
		return true;
	}

	private static String text(byte[] block, int offset, int length) {
		int end = offset;
		while (end < offset + length && block[end] != 0) {
			end++;
		}
		return new String(block, offset, end - offset, StandardCharsets.UTF_8).trim();
	}

	private static long octal(byte[] block, int offset, int length, Path archive) throws IOException {
		String digits = text(block, offset, length);
		try {
			return digits.isEmpty() ? 0 : Long.parseLong(digits, 8);
		}
		catch (NumberFormatException ex) {
			throw new IOException("Archive " + archive + " has a malformed member header (size '" + digits + "')");
		}
	}

	@Override
	public int size() {
		return this.members.size();
	}

	@Override
	public String name(int index) {
		return this.members.get(index).name;
	}

	@Override
	public RgbImage read(int index) throws IOException {
		Member member = this.members.get(index);
		if (member.size > Integer.MAX_VALUE) {
			throw new IOException("Member " + member.name + " of " + this.archive + " is too large for an image");
		}
		ByteBuffer bytes = ByteBuffer.allocate((int) member.size);
		try (FileChannel channel = FileChannel.open(this.archive, StandardOpenOption.READ)) {
			int read;
			do {
				read = channel.read(bytes, member.offset + bytes.position());
			}
			while (read > 0 && bytes.hasRemaining());
		}
		return ImageLoader.read(new ByteArrayInputStream(bytes.array()), this.archive + "!" + member.name);
	}

	private record Member(String name, long offset, long size) {
	}

}
