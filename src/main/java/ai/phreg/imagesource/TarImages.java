package ai.phreg.imagesource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import ai.phreg.image.ImageFormat;
import ai.phreg.image.ImageLimits;
import ai.phreg.image.ImageLoader;
import ai.phreg.image.RgbImage;
import ai.phreg.image.UnreadableImageException;
import ai.phreg.storage.SafeFiles;

/**
 * The JPEG and PNG members of a (POSIX ustar or GNU) {@code .tar} archive, read in place:
 * the archive is indexed once and each image read from its offset, so a large archive is
 * never unpacked. Only regular members with relative names that stay inside the archive
 * are used; links, devices, members named {@code /...} or {@code ../...} and pictures in
 * other formats (GIF, WebP, TIFF, ...) are {@link #skipped() skipped} with the reason.
 */
public final class TarImages implements ImageSource {

	private static final int BLOCK = 512;

	private static final long MAX_HEADER_DATA = 1 << 20;

	/** Member types whose size field, if any, does not count data blocks. */
	private static final String STORES_NO_DATA = "12346";

	private final Path archive;

	private final SafeFiles files;

	private final List<Member> members;

	private final ImageLimits limits;

	private final List<SkippedImage> skipped;

	private TarImages(Path archive, SafeFiles files, ImageLimits limits, List<Member> members,
			List<SkippedImage> skipped) {
		this.archive = archive;
		this.files = files;
		this.limits = limits;
		this.members = members;
		this.skipped = skipped;
	}

	/**
	 * Scans an archive that must be a regular file in its own folder, links resolved,
	 * within the default {@link ImageLimits}.
	 */
	public static TarImages scan(Path archive) throws IOException {
		return scan(archive, SafeFiles.within(archive.toAbsolutePath().getParent()), ImageLimits.DEFAULT);
	}

	/**
	 * Scans an archive that {@code files} admits.
	 * @param archive the {@code .tar} file
	 * @param files the guard the archive is opened through, at the scan and every read
	 * @param limits the largest image to decode; larger ones fail to read
	 * @return its image members, in name order
	 * @throws IOException if the archive is refused, malformed or holds no usable image
	 */
	public static TarImages scan(Path archive, SafeFiles files, ImageLimits limits) throws IOException {
		List<Member> members = new ArrayList<>();
		List<SkippedImage> skipped = new ArrayList<>();
		try (FileChannel channel = files.open(archive)) {
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
				char type = (char) block[156];
				// Links, devices and FIFOs store no data, whatever their size field says.
				long size = STORES_NO_DATA.indexOf(type) >= 0 ? 0 : octal(block, 124, 12, archive);
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
				else if (ImageFormat.ofName(name).isPresent()) {
					String refusal = refusal(name, type);
					if (refusal == null) {
						members.add(new Member(name, data, size));
					}
					else {
						skipped.add(new SkippedImage(name, refusal));
					}
				}
				position = data + ((size + BLOCK - 1) / BLOCK) * BLOCK;
			}
		}
		if (members.isEmpty()) {
			throw new IOException("Archive " + archive + " holds no usable .jpg, .jpeg or .png member"
					+ SkippedImage.summary(skipped));
		}
		members.sort(Comparator.comparing(Member::name));
		skipped.sort(Comparator.comparing(SkippedImage::name));
		return new TarImages(archive, files, limits, List.copyOf(members), List.copyOf(skipped));
	}

	/**
	 * Why a member named like an image is not used, null when it is: only regular files
	 * with relative names that stay inside the archive are read, as extracting the
	 * archive safely would give.
	 */
	private static String refusal(String name, char type) {
		boolean escapes = name.startsWith("/") || Arrays.asList(name.split("/")).contains("..");
		if (escapes) {
			return "unsafe member name (absolute, or with '..'); only relative names inside the archive are used";
		}
		return switch (type) {
			case '0', '\0', '7' -> ImageSource.unsupportedReason(name);
			case '1' -> "a hard link; only regular files are read from archives";
			case '2' -> "a symbolic link; only regular files are read from archives";
			case '3', '4' -> "a device; only regular files are read from archives";
			case '5' -> "a folder; only regular files are read from archives";
			case '6' -> "a FIFO; only regular files are read from archives";
			default -> "a member of type '" + type + "'; only regular files are read from archives";
		};
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
			throw new IOException("Archive " + archive + " has a malformed member header (its size is not a number); "
					+ "it may be damaged: create it again with tar");
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
		String tooLarge = this.limits.fileSizeRefusal(member.size);
		if (tooLarge != null) {
			throw new UnreadableImageException(member.name, tooLarge);
		}
		ByteBuffer bytes = ByteBuffer.allocate((int) member.size);
		try (FileChannel channel = this.files.open(this.archive)) {
			int read;
			do {
				read = channel.read(bytes, member.offset + bytes.position());
			}
			while (read > 0 && bytes.hasRemaining());
		}
		catch (IOException ex) {
			throw new UnreadableImageException(member.name,
					"the archive cannot be read any more (moved, replaced or made unreadable since it was scanned)",
					ex);
		}
		return ImageLoader.read(new ByteArrayInputStream(bytes.array()), member.name, this.limits);
	}

	@Override
	public List<SkippedImage> skipped() {
		return this.skipped;
	}

	private record Member(String name, long offset, long size) {
	}

}
