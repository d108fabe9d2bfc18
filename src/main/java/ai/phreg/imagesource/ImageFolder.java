package ai.phreg.imagesource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import ai.phreg.image.ImageLoader;
import ai.phreg.image.RgbImage;

/**
 * The unlabeled training images: every JPEG and PNG under a folder, in a stable (sorted)
 * order so that positions in a run mean the same image after a restart.
 */
public final class ImageFolder implements ImageSource {

	private final Path root;

	private final List<Path> files;

	private ImageFolder(Path root, List<Path> files) {
		this.root = root;
		this.files = files;
	}

	public static ImageFolder scan(Path root) throws IOException {
		if (!Files.isDirectory(root)) {
			throw new IOException("Image folder " + root + " does not exist or is not a folder");
		}
		try (Stream<Path> walk = Files.walk(root)) {
			List<Path> files = walk.filter(Files::isRegularFile)
				.filter((file) -> ImageSource.isImageName(file.getFileName().toString()))
				.sorted()
				.toList();
			if (files.isEmpty()) {
				throw new IOException("Image folder " + root + " holds no .jpg, .jpeg or .png file");
			}
			return new ImageFolder(root, files);
		}
	}

	@Override
	public int size() {
		return this.files.size();
	}

	@Override
	public String name(int index) {
		return this.root.relativize(this.files.get(index)).toString();
	}

	@Override
	public RgbImage read(int index) throws IOException {
		return ImageLoader.read(this.files.get(index));
	}

}
