package ai.phreg.imagesource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ai.phreg.Fixtures;
import ai.phreg.SpecialFiles;
import ai.djl.ndarray.NDManager;
import ai.phreg.distill.TrainingBatches;
import ai.phreg.image.HandBuiltPng;
import ai.phreg.image.ImageLimits;
import ai.phreg.image.ImageLoader;
import ai.phreg.image.Normalization;
import ai.phreg.image.UnreadableImageException;
import ai.phreg.storage.PathPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIOException;

/** Image folders read only the regular files inside their folder. */
class ImageFolderTests {

	@TempDir
	Path temp;

	private Path folder;

	private Path outside;

	@BeforeEach
	void aFolderWithOnePhotoAndAPhotoOutsideIt() throws Exception {
		this.folder = Files.createDirectories(this.temp.resolve("images"));
		this.outside = Files.createDirectories(this.temp.resolve("outside"));
		Files.copy(Fixtures.photos().resolve("skimage-chelsea.jpg"), this.folder.resolve("chelsea.jpg"));
		Files.copy(Fixtures.photos().resolve("skimage-coffee.jpg"), this.outside.resolve("coffee.jpg"));
	}

	@Test
	void aLinkToAnImageOutsideTheFolderIsSkippedNotRead() throws Exception {
		Files.createSymbolicLink(this.folder.resolve("coffee.jpg"), this.outside.resolve("coffee.jpg"));
		Files.createSymbolicLink(this.folder.resolve("passwd.png"), SpecialFiles.secret(this.outside));

		ImageFolder images = ImageFolder.scan(this.folder);

		assertThat(images.size()).isEqualTo(1);
		assertThat(images.name(0)).isEqualTo("chelsea.jpg");
		assertThat(images.skipped()).extracting(SkippedImage::name).containsExactly("coffee.jpg", "passwd.png");
		assertThat(images.skipped())
			.allSatisfy((skip) -> assertThat(skip.reason()).startsWith("leads outside the allowed roots")
				.doesNotContain("root:x")
				.doesNotContain(this.outside.toString()));
	}

	@Test
	void aLinkStayingInsideTheFolderIsAnImage() throws Exception {
		Files.createSymbolicLink(this.folder.resolve("again.jpg"), this.folder.resolve("chelsea.jpg"));

		ImageFolder images = ImageFolder.scan(this.folder);

		assertThat(images.size()).isEqualTo(2);
		assertThat(images.read(0)).isEqualTo(images.read(1));
		assertThat(images.skipped()).isEmpty();
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void aFifoNamedLikeAnImageIsSkippedWithoutBlocking() throws Exception {
		SpecialFiles.fifo(this.folder.resolve("pipe.jpg"));

		ImageFolder images = ImageFolder.scan(this.folder);

		assertThat(images.size()).isEqualTo(1);
		assertThat(images.skipped()).containsExactly(
				new SkippedImage("pipe.jpg", "is a FIFO, socket or device, not a regular file; use a regular file"));
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void anImageReplacedByALinkOrFifoAfterTheScanIsUnreadable() throws Exception {
		Files.copy(Fixtures.photos().resolve("skimage-rocket.jpg"), this.folder.resolve("rocket.jpg"));
		ImageFolder images = ImageFolder.scan(this.folder, new PathPolicy(List.of(this.folder)).files(),
				ImageLimits.DEFAULT);
		Files.delete(this.folder.resolve("chelsea.jpg"));
		Files.createSymbolicLink(this.folder.resolve("chelsea.jpg"), SpecialFiles.secret(this.outside));
		Files.delete(this.folder.resolve("rocket.jpg"));
		SpecialFiles.fifo(this.folder.resolve("rocket.jpg"));

		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> images.read(0))
			.withMessageContaining("chelsea.jpg")
			.withMessageContaining("outside the allowed roots")
			.withMessageNotContaining("root:x");
		assertThatExceptionOfType(UnreadableImageException.class).isThrownBy(() -> images.read(1))
			.withMessageContaining("rocket.jpg")
			.withMessageContaining("FIFO");
	}

	@Test
	void aFolderOfOnlyUnusableImagesSaysWhy() throws Exception {
		Files.delete(this.folder.resolve("chelsea.jpg"));
		Files.createSymbolicLink(this.folder.resolve("coffee.jpg"), this.outside.resolve("coffee.jpg"));

		assertThatIOException().isThrownBy(() -> ImageFolder.scan(this.folder))
			.withMessageContaining("1 skipped, such as coffee.jpg: leads outside the allowed roots");
	}

	@Test
	void imagesAreReadAsTheLoaderReadsThem() throws Exception {
		assertThat(ImageFolder.scan(this.folder).read(0))
			.isEqualTo(ImageLoader.read(this.folder.resolve("chelsea.jpg")));
	}

	@Test
	void picturesInOtherFormatsAreSkippedWithTheFormatNamed() throws Exception {
		Files.createDirectories(this.folder.resolve("more"));
		for (String name : new String[] { "animation.gif", "more/photo.WEBP", "scan.tiff", "old.bmp", "phone.heic" }) {
			Files.writeString(this.folder.resolve(name), "whatever the content");
		}
		Files.writeString(this.folder.resolve("notes.txt"), "not a picture at all");

		ImageFolder images = ImageFolder.scan(this.folder);

		assertThat(images.size()).isEqualTo(1);
		assertThat(images.skipped()).containsExactly(
				new SkippedImage("animation.gif", "unsupported format GIF; use JPEG or PNG"),
				new SkippedImage("more/photo.WEBP", "unsupported format WEBP; use JPEG or PNG"),
				new SkippedImage("old.bmp", "unsupported format BMP; use JPEG or PNG"),
				new SkippedImage("phone.heic", "unsupported format HEIF; use JPEG or PNG"),
				new SkippedImage("scan.tiff", "unsupported format TIFF; use JPEG or PNG"));
	}

	@Test
	void aStripThatCannotBeResizedIsSkippedByTrainingNotFailingIt() throws Exception {
		Files.write(this.folder.resolve("strip.png"), HandBuiltPng.black(3, 50_000));
		ImageFolder images = ImageFolder.scan(this.folder);
		TrainingBatches batches = new TrainingBatches(images, 224, Normalization.IMAGENET, 2, 7, 0);

		try (NDManager manager = NDManager.newBaseManager()) {
			TrainingBatches.Batch batch = batches.batch(0, 0, manager);

			assertThat(batch.imageIndices()).containsExactly(0);
			assertThat(batch.pixels().getShape().get(0)).isEqualTo(1);
		}
		assertThat(batches.unreadable()).containsOnlyKeys(1);
		assertThat(batches.unreadable()).containsEntry(1,
				"the image is 3x50000 pixels, more than 50 times longer than wide; crop it");
	}

}
