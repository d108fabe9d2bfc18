package ai.phreg.storage;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Decides which local files users may name as a teacher checkpoint or an image source:
 * only those inside one of the allowed roots, judged after following symbolic links so
 * that a link inside a root cannot lend access to a file outside it. A named path that
 * exists must be a regular file or a folder. The files found inside a named folder are
 * opened through {@link #files()}, which checks each the same way, and
 * {@link #resolveTeacher(String)} checks every file a checkpoint loader would read.
 * <p>
 * Accepted forms are a plain path and a {@code file:} URL. A relative path is taken
 * relative to the first allowed root. The word {@code demo} is not a path; callers handle
 * it before asking here.
 */
public final class PathPolicy {

	// RFC 3986 scheme followed by a colon; two or more characters so that a Windows drive
	// letter is not mistaken for a scheme.
	private static final Pattern URL_SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):");

	private final List<Path> roots;

	private final SafeFiles files;

	/**
	 * @param allowedRoots the folders users may read from; each is made absolute and,
	 * when it exists, resolved to its real path
	 */
	public PathPolicy(List<Path> allowedRoots) {
		this.roots = allowedRoots.stream().map(PathPolicy::canonical).toList();
		this.files = new SafeFiles(this.roots);
	}

	/**
	 * The guard for opening files below the allowed roots, such as the images of a folder
	 * named through {@link #resolve(String)}.
	 */
	public SafeFiles files() {
		return this.files;
	}

	/** The allowed roots as compared against, absolute and with links resolved. */
	public List<Path> roots() {
		return this.roots;
	}

	/**
	 * The real, absolute path a user named.
	 * @param userPath a plain path or a {@code file:} URL
	 * @return the path with symbolic links of its existing part resolved
	 * @throws IllegalArgumentException with a message fit for the user when the path is
	 * malformed, uses {@code ..}, is not local, lies outside every allowed root, or is
	 * neither a regular file nor a folder (a FIFO would block whoever opens it)
	 */
	public Path resolve(String userPath) {
		if (userPath == null || userPath.isBlank()) {
			throw new IllegalArgumentException("a path is required");
		}
		if (userPath.indexOf('\0') >= 0) {
			throw new IllegalArgumentException("the path contains a NUL character");
		}
		if (this.roots.isEmpty()) {
			throw new IllegalArgumentException(
					"no local paths are allowed: the server has no allowed roots (set phreg.allowed-roots)");
		}
		Path path = parse(userPath);
		for (Path part : path) {
			if (part.toString().equals("..")) {
				throw new IllegalArgumentException("'..' is not allowed in paths: " + userPath);
			}
		}
		Path resolved = canonical(this.roots.get(0).resolve(path));
		if (this.roots.stream().noneMatch(resolved::startsWith)) {
			throw new IllegalArgumentException(userPath + " is outside the allowed roots " + this.roots);
		}
		if (Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)
				&& !Files.isDirectory(resolved, LinkOption.NOFOLLOW_LINKS)) {
			try {
				this.files.check(resolved);
			}
			catch (IOException ex) {
				throw new IllegalArgumentException(ex.getMessage());
			}
		}
		return resolved;
	}

	/**
	 * The real path of a teacher checkpoint, once every file the checkpoint loader may
	 * read there is known to be safe: the {@code .safetensors} file and the {@code .json}
	 * configs beside it, or, for a folder, every {@code .safetensors} and {@code .json}
	 * file in it (shards, {@code config.json}, the shard index). {@link #resolve(String)}
	 * only judges the path named; a link to a file outside the roots may sit inside a
	 * folder that lies within them.
	 * @param userPath a plain path or a {@code file:} URL
	 * @return the resolved path; a missing one is left for the loader to report
	 * @throws IllegalArgumentException with a message fit for the user when the path or
	 * one of the files the loader would read is refused
	 */
	public Path resolveTeacher(String userPath) {
		Path resolved = resolve(userPath);
		boolean isFolder = Files.isDirectory(resolved);
		if (!isFolder && !Files.exists(resolved)) {
			return resolved;
		}
		Path folder = isFolder ? resolved : resolved.getParent();
		try (Stream<Path> listing = Files.list(folder)) {
			for (Path file : (Iterable<Path>) listing::iterator) {
				String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
				if (name.endsWith(".json") || (isFolder && name.endsWith(".safetensors")) || file.equals(resolved)) {
					this.files.check(file);
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalArgumentException("teacher " + userPath + " cannot be used: " + describe(ex));
		}
		return resolved;
	}

	/** What went wrong with a file, without the exception's class name. */
	private static String describe(IOException ex) {
		if (ex instanceof NoSuchFileException missing) {
			return missing.getFile() + ": " + missing.getReason();
		}
		return ex.getMessage();
	}

	private static Path parse(String userPath) {
		var scheme = URL_SCHEME.matcher(userPath);
		if (!scheme.find()) {
			return asPath(userPath, userPath);
		}
		if (!scheme.group(1).toLowerCase(Locale.ROOT).equals("file")) {
			throw new IllegalArgumentException(
					"only local files are accepted (a path or a file: URL), not " + scheme.group(1) + ": URLs");
		}
		try {
			URI uri = new URI(userPath);
			if (uri.isOpaque() || uri.getPath() == null || !uri.getPath().startsWith("/")) {
				throw new IllegalArgumentException("a file: URL needs an absolute path, such as file:///data/model");
			}
			if (uri.getAuthority() != null && !uri.getAuthority().equalsIgnoreCase("localhost")) {
				throw new IllegalArgumentException("only local files are accepted, not files on " + uri.getAuthority());
			}
			return asPath(uri.getPath(), userPath);
		}
		catch (URISyntaxException ex) {
			throw new IllegalArgumentException("not a valid file: URL: " + ex.getMessage());
		}
	}

	private static Path asPath(String path, String userPath) {
		try {
			return Path.of(path);
		}
		catch (InvalidPathException ex) {
			throw new IllegalArgumentException("not a valid path: " + userPath);
		}
	}

	/**
	 * The absolute, normalised path with the links of its longest existing prefix
	 * resolved, so that a missing file below a linked folder is judged by where the link
	 * points.
	 */
	private static Path canonical(Path path) {
		Path absolute = path.toAbsolutePath().normalize();
		Path existing = absolute;
		while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
			existing = existing.getParent();
		}
		if (existing == null) {
			return absolute;
		}
		try {
			return existing.toRealPath().resolve(existing.relativize(absolute));
		}
		catch (IOException ex) {
			// A broken link, or a folder we may not enter: where it leads is unknown.
			throw new IllegalArgumentException("cannot resolve " + existing + " (" + ex.getMessage() + ")");
		}
	}

}
