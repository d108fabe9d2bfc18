package ai.phreg.imagesource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import ai.phreg.Fixtures;
import ai.phreg.image.ImageLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/** Image sources read in place from archives written by GNU tar. */
class TarImagesTests {

	@TempDir
	Path temp;

	@Test
	void readsTheImageMembersOfAnArchiveInNameOrder() throws Exception {
		// given an archive with photos in a subfolder, a text file and a long member name
		Path content = Files.createDirectories(this.temp.resolve("content/photos"));
		Files.copy(Fixtures.photos().resolve("skimage-chelsea.jpg"), content.resolve("b-chelsea.jpg"));
		Files.copy(Fixtures.photos().resolve("skimage-coffee.jpg"), content.resolve("a-coffee.JPG"));
		String longName = "c-" + "x".repeat(120) + ".jpg";
		Files.copy(Fixtures.photos().resolve("skimage-rocket.jpg"), content.resolve(longName));
		Files.writeString(content.resolve("notes.txt"), "not an image");
		Path archive = tar(this.temp.resolve("content"), "photos");

		// when it is scanned
		TarImages images = TarImages.scan(archive);

		// then the three images are members, read back pixel for pixel
		assertThat(images.size()).isEqualTo(3);
		assertThat(List.of(images.name(0), images.name(1), images.name(2))).containsExactly("photos/a-coffee.JPG",
				"photos/b-chelsea.jpg", "photos/" + longName);
		assertThat(images.read(1)).isEqualTo(ImageLoader.read(content.resolve("b-chelsea.jpg")));
		assertThat(images.read(2)).isEqualTo(ImageLoader.read(content.resolve(longName)));
	}

	@Test
	void aTruncatedArchiveIsRefusedWithItsName() throws Exception {
		Path content = Files.createDirectories(this.temp.resolve("content/photos"));
		Files.copy(Fixtures.photos().resolve("skimage-chelsea.jpg"), content.resolve("chelsea.jpg"));
		Path archive = tar(this.temp.resolve("content"), "photos");
		byte[] bytes = Files.readAllBytes(archive);
		Path truncated = this.temp.resolve("truncated.tar");
		Files.write(truncated, Arrays.copyOf(bytes, 512 + 1000));

		assertThatIOException().isThrownBy(() -> TarImages.scan(truncated)).withMessageContaining("truncated.tar");
	}

	private Path tar(Path folder, String member) throws IOException, InterruptedException {
		Path archive = this.temp.resolve("images.tar");
		Process tar = new ProcessBuilder("tar", "-cf", archive.toString(), "-C", folder.toString(), member).inheritIO()
			.start();
		assertThat(tar.waitFor()).isZero();
		return archive;
	}

}
