package ai.phreg;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Locates the shared reference fixture sets. {@code PHREG_FIXTURES} names one folder, or
 * several separated by the platform's path separator ({@code :} on Linux), so the same
 * tests run unchanged on any fixture set of the same layout. Without it both shared sets
 * are used: the original one ({@code ../shared/fixtures}) and the modern backbones
 * ({@code ../shared/fixtures-modern}).
 * <p>
 * Tests that check every model of a manifest iterate {@link #roots()}; tests that need
 * one reference checkpoint or photo use the first set, {@link #root()}.
 */
public final class Fixtures {

	private static final List<String> DEFAULT_ROOTS = List.of("../shared/fixtures", "../shared/fixtures-modern");

	private Fixtures() {
	}

	/** Every configured fixture set, in the order given. */
	public static List<Path> roots() {
		String configured = System.getenv("PHREG_FIXTURES");
		List<String> names = (configured == null || configured.isBlank()) ? DEFAULT_ROOTS
				: Arrays.stream(configured.split(File.pathSeparator)).filter((name) -> !name.isBlank()).toList();
		return names.stream().map(Path::of).map(Fixtures::checked).toList();
	}

	/** The first configured fixture set. */
	public static Path root() {
		return roots().get(0);
	}

	public static Path resolve(String relative) {
		return root().resolve(relative);
	}

	/** The bundled real photos (36 JPEGs with licenses), beside the fixtures. */
	public static Path photos() {
		return Path.of("../shared/datasets/photos");
	}

	private static Path checked(Path root) {
		if (!Files.isRegularFile(root.resolve("manifest.json"))) {
			throw new IllegalStateException("No fixture set at " + root.toAbsolutePath()
					+ " (manifest.json missing); set PHREG_FIXTURES to one or more fixture folders separated by '"
					+ File.pathSeparator + "'");
		}
		return root;
	}

}
