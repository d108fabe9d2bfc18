package ai.phreg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

/**
 * The base of Spring Boot tests whose service keeps its files in a temporary folder, the
 * only root their jobs may name files under. One folder serves every such test class of a
 * test run: classes of the same configuration then share one application context, which a
 * folder per class would leave pointing at a folder deleted with the class before. Jobs
 * have folders of their own, so the classes do not meet there.
 */
public abstract class TemporaryStorage {

	protected static final Path STORAGE = createFolder();

	@DynamicPropertySource
	static void storageRoot(DynamicPropertyRegistry registry) {
		registry.add("phreg.storage-root", STORAGE::toString);
		registry.add("phreg.allowed-roots", STORAGE::toString);
	}

	private static Path createFolder() {
		try {
			Path folder = Files.createTempDirectory("phreg-test-storage");
			Runtime.getRuntime().addShutdownHook(new Thread(() -> {
				try {
					FileSystemUtils.deleteRecursively(folder);
				}
				catch (IOException ex) {
					// What is left in the temporary folder harms no later run.
				}
			}));
			return folder;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
