package ai.phreg.distill;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ai.phreg.image.ImageLoader;
import ai.phreg.image.RgbImage;

/**
 * The JPEG and PNG members of a (POSIX ustar or GNU) {@code .tar} archive, read in place:
 * the archive is indexed once and each image read from its offset, so a large archive is
 * never unpacked.
 */
public final class TarImages implements ImageSource {

	private static final int BLOCK = 512;

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
			while (position + BLOCK <= length) {
				header.clear();
				channel.read(header, position);
				byte[] block = header.array();
				if (isZero(block)) {
					break;
				}
				String name = text(block, 345, 155).isEmpty() ? text(block, 0, 100)
						: text(block, 345, 155) + "/" + text(block, 0, 100);
				long size = octal(block, 124, 12, archive);
				char type = (char) block[156];
				long data = position + BLOCK;
				if (data + size > length) {
					throw new IOException("Archive " + archive + " is truncated inside member " + name);
				}
				if ((type == '0' || type == '\0') && looksLikeImage(name)) {
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

	private static boolean looksLikeImage(String name) {
		String lower = name.toLowerCase(Locale.ROOT);
		return lower.endsWith(".jpg") || lower.endsWith(".jpeg") || lower.endsWith(".png");
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
