package ai.phreg;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared reference fixtures. The folder comes from {@code PHREG_FIXTURES} so
 * the same tests run unchanged on any fixture set of the same layout.
 */
public final class Fixtures {

	private Fixtures() {
	}

	public static Path root() {
		String configured = System.getenv("PHREG_FIXTURES");
		Path root = Path.of(configured == null || configured.isBlank() ? "../shared/fixtures" : configured);
		if (!Files.isRegularFile(root.resolve("manifest.json"))) {
			throw new IllegalStateException("No fixture set at " + root.toAbsolutePath()
					+ " (manifest.json missing); set PHREG_FIXTURES to a fixture folder");
		}
		return root;
	}

	public static Path resolve(String relative) {
		return root().resolve(relative);
	}

	/** The bundled real photos (36 JPEGs with licenses), beside the fixtures. */
	public static Path photos() {
		return Path.of("../shared/datasets/photos");
	}

}
