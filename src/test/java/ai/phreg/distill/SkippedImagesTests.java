package ai.phreg.distill;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import ai.phreg.imagesource.SkippedImage;
import ai.phreg.imagesource.ImageFolder;
import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.SpecialFiles;
import ai.phreg.image.HandBuiltPng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every training image left out is reported by name with a reason a user can act on,
 * whether the source skipped it when scanning or it failed when decoded.
 */
class SkippedImagesTests {

	@TempDir
	Path temp;

	@Test
	void aRunReportsEveryImageItWentWithoutAndWhy() throws Exception {
		// given four good photos beside every kind of bad one
		Path images = goodAndBadImages();

		// when a run trains over one epoch
		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(DistillerTests.SETTINGS, DistillerTests.teacher(manager),
						ImageFolder.scan(images), manager)) {
			distiller.run(distiller.totalSteps(), (report) -> {
			});

			// then each skipped image is named with its reason, and the messages hold
			// neither the outside file's bytes nor Java exception names
			assertThat(distiller.skippedImages()).containsExactly(
					new SkippedImage("animation.gif", "unsupported format GIF; use JPEG or PNG"),
					new SkippedImage("half.jpg", "truncated JPEG (the data ends before the end-of-image marker)"),
					new SkippedImage("huge.png",
							"the image is 8000x8000 pixels (64.0 megapixels), over the limit of 40.0; scale it down"),
					new SkippedImage("linked.jpg",
							"leads outside the allowed roots; copy the file into an allowed folder instead of linking to it"),
					new SkippedImage("strip.png",
							"the image is 3x50000 pixels, more than 50 times longer than wide; crop it"));
			assertThat(distiller.unreadableImages()).hasSize(3);
		}
	}

	@Test
	void decodingBeforeTheFirstStepFindsTheUnreadableImages() throws Exception {
		ImageFolder folder = ImageFolder.scan(goodAndBadImages());
		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(DistillerTests.SETTINGS, DistillerTests.teacher(manager), folder,
						manager)) {
			distiller.decodeImages();

			assertThat(distiller.globalStep()).isZero();
			assertThat(distiller.unreadableImages().keySet().stream().map(folder::name)).containsExactly("half.jpg",
					"huge.png", "strip.png");
		}
	}

	private Path goodAndBadImages() throws Exception {
		Path images = Files.createDirectories(this.temp.resolve("images"));
		for (String photo : List.of("skimage-chelsea.jpg", "skimage-coffee.jpg", "skimage-rocket.jpg",
				"skimage-astronaut.jpg")) {
			Files.copy(Fixtures.photos().resolve(photo), images.resolve(photo));
		}
		byte[] jpeg = Files.readAllBytes(images.resolve("skimage-chelsea.jpg"));
		Files.write(images.resolve("half.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
		Files.write(images.resolve("strip.png"), HandBuiltPng.black(3, 50_000));
		Files.write(images.resolve("huge.png"), HandBuiltPng.black(8000, 8000));
		Files.writeString(images.resolve("animation.gif"), "GIF89a");
		Files.createSymbolicLink(images.resolve("linked.jpg"), SpecialFiles.secret(this.temp.resolve("etc")));
		return images;
	}

}
