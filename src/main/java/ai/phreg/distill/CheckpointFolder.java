package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The checkpoints of one run, in a folder of their own: {@code state-<step>.safetensors},
 * the newest few kept. A checkpoint is written to a hidden temporary file and renamed
 * into place, so a process killed while writing leaves a temporary file and never a torn
 * file under a checkpoint's name; opening the folder to resume deletes such leftovers.
 */
public final class CheckpointFolder {

	private static final String PREFIX = "state-";

	private static final String SUFFIX = ".safetensors";

	private final Path folder;

	private final int kept;

	private CheckpointFolder(Path folder, int kept) {
		this.folder = folder;
		this.kept = kept;
	}

	/**
	 * Opens the folder of a run that starts or resumes, creating it if needed, and
	 * deletes the temporary files of writes a killed process left unfinished.
	 * @param kept how many checkpoints to keep, at least 1
	 */
	public static CheckpointFolder open(Path folder, int kept) throws IOException {
		if (kept < 1) {
			throw new IllegalArgumentException("At least one checkpoint must be kept, got " + kept);
		}
		Files.createDirectories(folder);
		for (Path unfinished : list(folder, CheckpointFolder::isUnfinishedWrite)) {
			Files.deleteIfExists(unfinished);
		}
		return new CheckpointFolder(folder, kept);
	}

	/**
	 * The newest checkpoint, null when there is none. Only completed writes carry a
	 * checkpoint's name, so this is the state of the last step saved, which can be ahead
	 * of what a job recorded last if the process died between the two.
	 */
	public Path newest() throws IOException {
		return list(this.folder, CheckpointFolder::isCheckpoint).stream().max(Comparator.naturalOrder()).orElse(null);
	}

	/**
	 * Saves the run's state as the checkpoint of its current step, then deletes all but
	 * the newest {@code kept}.
	 * @return the checkpoint written
	 */
	public Path save(Distiller distiller) throws IOException {
		// Zero-padded steps sort by name.
		Path file = this.folder.resolve(String.format("%s%09d%s", PREFIX, distiller.globalStep(), SUFFIX));
		distiller.save(file);
		List<Path> older = list(this.folder, CheckpointFolder::isCheckpoint).stream()
			.sorted(Comparator.reverseOrder())
			.skip(this.kept)
			.toList();
		for (Path old : older) {
			Files.deleteIfExists(old);
		}
		return file;
	}

	private static List<Path> list(Path folder, Predicate<String> nameMatches) throws IOException {
		try (Stream<Path> files = Files.list(folder)) {
			return files.filter((file) -> nameMatches.test(file.getFileName().toString())).toList();
		}
	}

	private static boolean isCheckpoint(String name) {
		return name.startsWith(PREFIX) && name.endsWith(SUFFIX);
	}

	/** The writer's temporary files: {@code .<target name>.<random>.tmp}. */
	private static boolean isUnfinishedWrite(String name) {
		return name.startsWith("." + PREFIX) && name.endsWith(".tmp");
	}

}
