package ai.phreg.imagesource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import ai.phreg.image.ImageFormat;
import ai.phreg.image.ImageLimits;
import ai.phreg.image.ImageLoader;
import ai.phreg.image.RgbImage;
import ai.phreg.image.UnreadableImageException;
import ai.phreg.storage.SafeFiles;
import ai.phreg.storage.SafeFiles.UnsafeFileException;

/**
 * The unlabeled training images: every JPEG and PNG under a folder, in a stable (sorted)
 * order so that positions in a run mean the same image after a restart. Pictures in other
 * formats (GIF, WebP, TIFF, ...) are {@link #skipped() skipped} with the reason. Every
 * file is opened through {@link SafeFiles}, when scanned and again when read, so a link
 * to a file outside the allowed roots, or a FIFO named like an image, is skipped, never
 * read.
 */
public final class ImageFolder implements ImageSource {

	private final Path root;

	private final SafeFiles files;

	private final List<Path> images;

	private final ImageLimits limits;

	private final List<SkippedImage> skipped;

	private ImageFolder(Path root, SafeFiles files, ImageLimits limits, List<Path> images, List<SkippedImage> skipped) {
		this.root = root;
		this.files = files;
		this.limits = limits;
		this.images = images;
		this.skipped = skipped;
	}

	/**
	 * Scans a folder whose images must lie in the folder itself, links resolved, within
	 * the default {@link ImageLimits}.
	 */
	public static ImageFolder scan(Path root) throws IOException {
		if (!Files.isDirectory(root)) {
			throw notAFolder(root);
		}
		return scan(root, SafeFiles.within(root), ImageLimits.DEFAULT);
	}

	/**
	 * Scans a folder whose images must be files that {@code files} admits.
	 * @param root the folder
	 * @param files the guard every image is opened through
	 * @param limits the largest image to decode; larger ones fail to read
	 * @return the images, in name order
	 * @throws IOException if the folder is missing or holds no usable image
	 */
	public static ImageFolder scan(Path root, SafeFiles files, ImageLimits limits) throws IOException {
		if (!Files.isDirectory(root)) {
			throw notAFolder(root);
		}
		List<Path> images = new ArrayList<>();
		List<SkippedImage> skipped = new ArrayList<>();
		List<Path> candidates;
		try (Stream<Path> walk = Files.walk(root)) {
			// Not following links: a link to a folder is not descended into, so the walk
			// stays inside the root.
			candidates = walk.filter((path) -> !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS))
				.filter((path) -> ImageFormat.ofName(path.getFileName().toString()).isPresent())
				.sorted()
				.toList();
		}
		catch (UncheckedIOException ex) {
			throw new IOException("Image folder " + root + " cannot be listed in full (a subfolder may not be "
					+ "readable by the service): " + ex.getCause().getMessage(), ex);
		}
		for (Path candidate : candidates) {
			String refusal = refusal(candidate, files);
			if (refusal == null) {
				images.add(candidate);
			}
			else {
				skipped.add(new SkippedImage(root.relativize(candidate).toString(), refusal));
			}
		}
		if (images.isEmpty()) {
			throw new IOException("Image folder " + root + " holds no usable .jpg, .jpeg or .png file"
					+ SkippedImage.summary(skipped));
		}
		return new ImageFolder(root, files, limits, List.copyOf(images), List.copyOf(skipped));
	}

	/** Why a file named like a picture is not an image of the folder; null if it is. */
	private static String refusal(Path candidate, SafeFiles files) {
		String unsupported = ImageSource.unsupportedReason(candidate.getFileName().toString());
		if (unsupported != null) {
			return unsupported;
		}
		try {
			files.check(candidate);
			return null;
		}
		catch (UnsafeFileException ex) {
			return ex.reason();
		}
		catch (IOException ex) {
			return "cannot be read (a link to a missing file, or no permission)";
		}
	}

	private static IOException notAFolder(Path root) {
		return new IOException("Image folder " + root + " does not exist or is not a folder");
	}

	@Override
	public int size() {
		return this.images.size();
	}

	@Override
	public String name(int index) {
		return this.root.relativize(this.images.get(index)).toString();
	}

	@Override
	public RgbImage read(int index) throws IOException {
		String name = name(index);
		FileChannel channel;
		try {
			channel = this.files.open(this.images.get(index));
		}
		catch (UnsafeFileException ex) {
			// Replaced by a link or a special file since the scan.
			throw new UnreadableImageException(name, ex.reason());
		}
		catch (IOException ex) {
			throw new UnreadableImageException(name,
					"cannot be opened any more (moved, removed or made unreadable since the folder was scanned)", ex);
		}
		try (channel) {
			return ImageLoader.read(Channels.newInputStream(channel), name, this.limits);
		}
	}

	@Override
	public List<SkippedImage> skipped() {
		return this.skipped;
	}

}
