package ai.phreg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Creates the special files hostile inputs are made of; the JDK can make links but not
 * FIFOs, so those come from {@code mkfifo}.
 */
public final class SpecialFiles {

	/** The first bytes of a file that must never be read, as in {@code /etc/passwd}. */
	public static final String SECRET = "root:x:0:0:root:/root:/bin/bash\n";

	private SpecialFiles() {
	}

	/** A named pipe: opening it for reading blocks until a writer appears. */
	public static Path fifo(Path path) throws IOException, InterruptedException {
		Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
		if (mkfifo.waitFor() != 0 || !Files.exists(path)) {
			throw new IOException("mkfifo failed for " + path);
		}
		return path;
	}

	/** A file outside every allowed root holding {@link #SECRET}. */
	public static Path secret(Path folder) throws IOException {
		return Files.writeString(Files.createDirectories(folder).resolve("passwd"), SECRET);
	}

}
