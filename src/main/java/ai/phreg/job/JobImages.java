package ai.phreg.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

import ai.phreg.imagesource.ImageFolder;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.imagesource.ImageSubset;
import ai.phreg.imagesource.TarImages;
import ai.phreg.image.ImageLimits;
import ai.phreg.storage.PathPolicy;
import ai.phreg.system.ImageProperties;
import ai.phreg.system.PhregProperties;
import ai.phreg.system.UserFacingException;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Component;

/**
 * The images a job names: a folder or a {@code .tar} under the allowed roots, or
 * {@code demo} for the bundled sample photos.
 */
@Component
class JobImages {

	static final String DEMO = "demo";

	private static final List<String> SAMPLES = List.of("skimage-astronaut.jpg", "skimage-chelsea.jpg",
			"skimage-coffee.jpg", "skimage-hubble.jpg", "skimage-rocket.jpg");

	private final PhregProperties properties;

	private final PathPolicy paths;

	private final ImageLimits limits;

	JobImages(PhregProperties properties, PathPolicy paths, ImageProperties images) {
		this.properties = properties;
		this.paths = paths;
		this.limits = images.limits();
	}

	/**
	 * Checks, without reading the folder, that the source is allowed and exists: what a
	 * request thread can afford.
	 * @throws IllegalArgumentException with a message for the user
	 */
	void checkExists(String images) {
		if (images.equals(DEMO)) {
			return;
		}
		Path source = this.paths.resolve(images);
		if (!Files.isDirectory(source) && !isTar(source)) {
			throw new IllegalArgumentException(images + " is neither a folder nor a .tar file of images");
		}
	}

	/** Lists every image of the source. */
	ImageSource scan(String images) throws IOException {
		if (images.equals(DEMO)) {
			return ImageFolder.scan(bundledSamples());
		}
		Path source = this.paths.resolve(images);
		return isTar(source) ? TarImages.scan(source, this.paths.files(), this.limits)
				: ImageFolder.scan(source, this.paths.files(), this.limits);
	}

	/**
	 * The training and held-out images of a prepared job, split as when it was prepared.
	 * @throws UserFacingException when the source no longer holds as many images
	 */
	ImageSubset.Split split(String images, ResolvedJob job) throws IOException {
		ImageSource source = scan(images);
		int prepared = job.trainingImages() + job.evaluationImages();
		if (source.size() != prepared) {
			throw new UserFacingException("The images changed since the job was prepared: " + prepared + " then, "
					+ source.size() + " now; submit the job again to train on the images as they are");
		}
		return ImageSubset.split(source, job.evaluationImages(), job.settings().seed());
	}

	private static boolean isTar(Path source) {
		return Files.isRegularFile(source) && source.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tar");
	}

	/** The bundled public-domain sample photos, unpacked once under the storage root. */
	private Path bundledSamples() throws IOException {
		Path folder = this.properties.storageRoot().resolve("samples");
		Files.createDirectories(folder);
		for (String name : SAMPLES) {
			Path target = folder.resolve(name);
			if (!Files.exists(target)) {
				try (InputStream in = new ClassPathResource("samples/" + name).getInputStream()) {
					Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
				}
			}
		}
		return folder;
	}

}
