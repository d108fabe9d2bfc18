package ai.phreg.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Opens user-supplied files only when they are safe to read: the file's real path (every
 * symbolic link followed) lies inside one of the allowed roots, and it is a regular file.
 * Both are checked before the file is opened, because opening a FIFO blocks until a
 * writer appears, and a link inside a root could otherwise lend access to any file the
 * service may read.
 * <p>
 * Messages name the file as the caller knows it and never where a link leads, so they
 * tell nothing about the rest of the machine.
 */
public final class SafeFiles {

	private final List<Path> roots;

	/**
	 * @param realRoots the folders files may lie in, as absolute real paths
	 */
	SafeFiles(List<Path> realRoots) {
		this.roots = List.copyOf(realRoots);
	}

	/**
	 * A guard for the files below one folder, for inputs the service chose itself (such
	 * as the bundled samples) or that a local user named on the command line.
	 * @param folder an existing folder
	 * @return a guard that admits regular files below the real path of {@code folder}
	 * @throws IOException if the folder cannot be resolved
	 */
	public static SafeFiles within(Path folder) throws IOException {
		return new SafeFiles(List.of(folder.toRealPath()));
	}

	/**
	 * The real path of {@code file} once it is known to be a regular file inside a root.
	 * @param file the file as named by the user or found in a user's folder
	 * @return its real path, which the caller should open rather than {@code file}
	 * @throws UnsafeFileException if it leads outside the roots or is no regular file
	 * @throws IOException if it does not exist or cannot be resolved
	 */
	public Path check(Path file) throws IOException {
		Path real;
		try {
			real = file.toRealPath();
		}
		catch (NoSuchFileException ex) {
			throw new NoSuchFileException(file.toString(), null, "no such file, or a link to a missing file");
		}
		if (this.roots.stream().noneMatch(real::startsWith)) {
			throw new UnsafeFileException(file,
					"leads outside the allowed roots; copy the file into an allowed folder instead of linking to it");
		}
		// The real path has no links left, so not following them reads the file itself.
		BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class,
				LinkOption.NOFOLLOW_LINKS);
		if (!attributes.isRegularFile()) {
			throw new UnsafeFileException(file, "is " + kind(attributes) + ", not a regular file; use a regular file");
		}
		return real;
	}

	/**
	 * Opens {@code file} for reading after {@link #check(Path) checking} it. The real
	 * path is opened without following links, so a link put in its place after the check
	 * is refused rather than followed.
	 * @param file the file to read
	 * @return a channel the caller must close
	 * @throws IOException if the file is unsafe or cannot be opened
	 */
	public FileChannel open(Path file) throws IOException {
		return FileChannel.open(check(file), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
	}

	private static String kind(BasicFileAttributes attributes) {
		if (attributes.isDirectory()) {
			return "a folder";
		}
		// Not regular, not a folder, not a link (the path is real): a FIFO, socket or
		// device, which the JDK does not tell apart.
		return "a FIFO, socket or device";
	}

	/**
	 * A file refused by {@link SafeFiles}: it leads outside the allowed roots or is not a
	 * regular file.
	 */
	public static final class UnsafeFileException extends IOException {

		private final String reason;

		UnsafeFileException(Path file, String reason) {
			super(file + " " + reason);
			this.reason = reason;
		}

		/** Why the file was refused, without its name, such as "leads outside ...". */
		public String reason() {
			return this.reason;
		}

	}

}
