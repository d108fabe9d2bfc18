package ai.phreg.storage;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import ai.phreg.SpecialFiles;
import ai.phreg.storage.SafeFiles.UnsafeFileException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class SafeFilesTests {

	@TempDir
	private Path temp;

	private Path root;

	private SafeFiles files;

	@BeforeEach
	void aRoot() throws Exception {
		this.root = Files.createDirectories(this.temp.resolve("root"));
		this.files = SafeFiles.within(this.root);
	}

	@Test
	void aRegularFileInsideTheRootIsOpenedByItsRealPath() throws Exception {
		Path file = Files.writeString(this.root.resolve("a.txt"), "inside");
		Path link = Files.createSymbolicLink(this.root.resolve("link.txt"), file);

		assertThat(this.files.check(link)).isEqualTo(file.toRealPath());
		try (FileChannel channel = this.files.open(link)) {
			assertThat(channel.size()).isEqualTo(6);
		}
	}

	@Test
	void aLinkToAFileOutsideTheRootIsRefusedWithoutReadingIt() throws Exception {
		Path secret = SpecialFiles.secret(this.temp.resolve("etc"));
		Path link = Files.createSymbolicLink(this.root.resolve("passwd.jpg"), secret);

		assertThatExceptionOfType(UnsafeFileException.class).isThrownBy(() -> this.files.open(link))
			.withMessageContaining("passwd.jpg")
			.withMessageContaining("outside the allowed roots")
			.withMessageNotContaining("root:x")
			// Nor does it tell where the link leads.
			.withMessageNotContaining("etc");
	}

	@Test
	void aLinkThroughALinkedFolderIsJudgedByWhereItLeads() throws Exception {
		Path outside = Files.createDirectories(this.temp.resolve("outside"));
		Files.writeString(outside.resolve("b.txt"), "outside");
		Files.createSymbolicLink(this.root.resolve("linked"), outside);

		assertThatExceptionOfType(UnsafeFileException.class)
			.isThrownBy(() -> this.files.check(this.root.resolve("linked/b.txt")))
			.withMessageContaining("outside the allowed roots");
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void aFifoIsRefusedBeforeItIsOpened() throws Exception {
		// Opening a FIFO for reading blocks until a writer comes: the test would hang.
		Path fifo = SpecialFiles.fifo(this.root.resolve("pipe.jpg"));

		assertThatExceptionOfType(UnsafeFileException.class).isThrownBy(() -> this.files.open(fifo))
			.withMessageContaining("pipe.jpg")
			.withMessageContaining("FIFO")
			.satisfies((ex) -> assertThat(ex.reason()).startsWith("is a FIFO, socket or device"));
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void aLinkToAFifoIsRefusedToo() throws Exception {
		Path fifo = SpecialFiles.fifo(this.root.resolve("pipe"));
		Path link = Files.createSymbolicLink(this.root.resolve("model.safetensors"), fifo);

		assertThatExceptionOfType(UnsafeFileException.class).isThrownBy(() -> this.files.open(link))
			.withMessageContaining("FIFO");
	}

	@Test
	void aDeviceIsRefused() throws Exception {
		Path device = Files.createSymbolicLink(this.root.resolve("zero.png"), Path.of("/dev/zero"));

		assertThatExceptionOfType(UnsafeFileException.class)
			.isThrownBy(() -> SafeFiles.within(Path.of("/dev")).check(device))
			.withMessageContaining("FIFO, socket or device");
	}

	@Test
	void aFolderIsNotAFile() {
		assertThatExceptionOfType(UnsafeFileException.class).isThrownBy(() -> this.files.check(this.root))
			.withMessageContaining("is a folder");
	}

}
