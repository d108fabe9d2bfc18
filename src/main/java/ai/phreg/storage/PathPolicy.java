package ai.phreg.storage;

import java.nio.file.Path;
import java.util.List;

/** TEMPORARY local stand-in until the api branch's PathPolicy lands. */
public final class PathPolicy {

	private final List<Path> roots;

	public PathPolicy(List<Path> roots) {
		this.roots = roots;
	}

	public Path resolve(String userPath) {
		Path path = Path.of(userPath.startsWith("file:") ? userPath.substring(5) : userPath)
			.toAbsolutePath()
			.normalize();
		for (Path root : this.roots) {
			if (path.startsWith(root.toAbsolutePath().normalize())) {
				return path;
			}
		}
		throw new IllegalArgumentException(userPath + " lies outside the allowed roots " + this.roots);
	}

}
