package ai.phreg.imagesource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import ai.phreg.Fixtures;
import ai.phreg.image.ImageLimits;
import ai.phreg.image.ImageLoader;
import ai.phreg.storage.SafeFiles;
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

	@Test
	void onlyRegularMembersWithSafeNamesAreReadTheOthersAreSkippedWithAReason() throws Exception {
		// given an archive written member by member, as a hostile one would be
		byte[] photo = Files.readAllBytes(Fixtures.photos().resolve("skimage-chelsea.jpg"));
		HandWrittenTar archive = new HandWrittenTar();
		archive.member("photos/good.jpg", '0', "", photo);
		archive.member("../escape.jpg", '0', "", photo);
		archive.member("photos/../../escape.png", '0', "", photo);
		archive.member("/etc/absolute.jpg", '0', "", photo);
		archive.longName("photos/" + "deep/".repeat(30) + "../".repeat(40) + "pax.jpg");
		archive.member("ignored-by-the-long-name", '0', "", photo);
		archive.member("photos/symbolic.jpg", '2', "/etc/passwd", new byte[0]);
		archive.member("photos/hard.jpg", '1', "photos/good.jpg", new byte[0]);
		archive.member("photos/device.jpg", '3', "", new byte[0]);
		archive.member("photos/pipe.png", '6', "", new byte[0]);
		archive.member("photos/notes.txt", '0', "", "not an image".getBytes(StandardCharsets.UTF_8));
		archive.member("photos/animation.GIF", '0', "", "GIF89a".getBytes(StandardCharsets.UTF_8));
		Path file = archive.writeTo(this.temp.resolve("hostile.tar"));

		// when it is scanned
		TarImages images = TarImages.scan(file);

		// then only the regular, safely named image is an image; the rest say why not
		assertThat(images.size()).isEqualTo(1);
		assertThat(images.name(0)).isEqualTo("photos/good.jpg");
		assertThat(images.read(0)).isEqualTo(ImageLoader.read(Fixtures.photos().resolve("skimage-chelsea.jpg")));
		String unsafe = "unsafe member name (absolute, or with '..'); only relative names inside the archive are used";
		assertThat(images.skipped()).containsExactly(new SkippedImage("../escape.jpg", unsafe),
				new SkippedImage("/etc/absolute.jpg", unsafe), new SkippedImage("photos/../../escape.png", unsafe),
				new SkippedImage("photos/animation.GIF", "unsupported format GIF; use JPEG or PNG"),
				new SkippedImage("photos/" + "deep/".repeat(30) + "../".repeat(40) + "pax.jpg", unsafe),
				new SkippedImage("photos/device.jpg", "a device; only regular files are read from archives"),
				new SkippedImage("photos/hard.jpg", "a hard link; only regular files are read from archives"),
				new SkippedImage("photos/pipe.png", "a FIFO; only regular files are read from archives"),
				new SkippedImage("photos/symbolic.jpg", "a symbolic link; only regular files are read from archives"));
	}

	@Test
	void anArchiveLinkedFromOutsideItsRootIsRefused() throws Exception {
		Path content = Files.createDirectories(this.temp.resolve("content/photos"));
		Files.copy(Fixtures.photos().resolve("skimage-chelsea.jpg"), content.resolve("chelsea.jpg"));
		Path archive = tar(this.temp.resolve("content"), "photos");
		Path root = Files.createDirectories(this.temp.resolve("root"));
		Path link = Files.createSymbolicLink(root.resolve("images.tar"), archive);

		assertThatIOException().isThrownBy(() -> TarImages.scan(link, SafeFiles.within(root), ImageLimits.DEFAULT))
			.withMessageContaining("outside the allowed roots");
	}

	private Path tar(Path folder, String member) throws IOException, InterruptedException {
		Path archive = this.temp.resolve("images.tar");
		Process tar = new ProcessBuilder("tar", "-cf", archive.toString(), "-C", folder.toString(), member).inheritIO()
			.start();
		assertThat(tar.waitFor()).isZero();
		return archive;
	}

}
