package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import ai.phreg.imagesource.ImageFolder;
import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run's checkpoint folder: what a process killed mid-write leaves is removed and never
 * taken for a checkpoint, and only the newest checkpoints are kept.
 */
class CheckpointFolderTests {

	@TempDir
	Path folder;

	@Test
	void openingForAResumeDeletesUnfinishedWritesAndTheNewestIsTheLastCompletedOne() throws IOException {
		Files.writeString(this.folder.resolve("state-000000009.safetensors"), "completed");
		Path torn = Files.writeString(
				this.folder.resolve(".state-000000012.safetensors.0b5e1c9a-5f7e-4a43-9a0e-2f1d0c7b6a55.tmp"), "torn");
		Path unrelated = Files.writeString(this.folder.resolve("notes.tmp"), "not ours");

		CheckpointFolder checkpoints = CheckpointFolder.open(this.folder, 2);

		assertThat(torn).doesNotExist();
		assertThat(unrelated).exists();
		assertThat(checkpoints.newest()).isEqualTo(this.folder.resolve("state-000000009.safetensors"));
	}

	@Test
	void aNewFolderHasNoNewestCheckpoint() throws IOException {
		Path fresh = this.folder.resolve("job/checkpoints");

		CheckpointFolder checkpoints = CheckpointFolder.open(fresh, 2);

		assertThat(fresh).isDirectory();
		assertThat(checkpoints.newest()).isNull();
	}

	@Test
	void savingKeepsTheNewestCheckpointsAndRestoresFromTheLast() throws IOException {
		CheckpointFolder checkpoints = CheckpointFolder.open(this.folder, 2);
		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(DistillerTests.SETTINGS, DistillerTests.teacher(manager),
						ImageFolder.scan(Fixtures.photos()), manager)) {
			for (int save = 0; save < 3; save++) {
				distiller.step();
				checkpoints.save(distiller);
			}
		}

		try (Stream<Path> files = Files.list(this.folder)) {
			assertThat(files.map((file) -> file.getFileName().toString()).sorted())
				.containsExactly("state-000000002.safetensors", "state-000000003.safetensors");
		}
		try (NDManager manager = NDManager.newBaseManager();
				Distiller resumed = new Distiller(DistillerTests.SETTINGS, DistillerTests.teacher(manager),
						ImageFolder.scan(Fixtures.photos()), manager)) {
			resumed.restore(checkpoints.newest());
			assertThat(resumed.globalStep()).isEqualTo(3);
		}
	}

}
