package ai.phreg.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.ConvertedCheckpoint;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.StateDict;
import ai.phreg.demo.DemoEfficacy;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.ImageFolder;
import ai.phreg.distill.ImageSource;
import ai.phreg.distill.ImageSubset;
import ai.phreg.distill.TarImages;
import ai.phreg.distill.UnlockPolicy;
import ai.phreg.image.ImageLimits;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import ai.phreg.storage.PathPolicy;
import ai.phreg.system.ImageProperties;
import ai.phreg.system.PhregProperties;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Component;

/**
 * Turns a {@link DistillSpec} into what the distillation needs: the teacher, the images
 * (split into training and held-out evaluation images), the device and the run's settings
 * with the family's defaults filled in. Paths must lie under the configured allowed
 * roots.
 */
@Component
class JobInputs {

	static final String DEMO = "demo";

	private static final List<String> SAMPLES = List.of("skimage-astronaut.jpg", "skimage-chelsea.jpg",
			"skimage-coffee.jpg", "skimage-hubble.jpg", "skimage-rocket.jpg");

	private final PhregProperties properties;

	private final PathPolicy paths;

	private final ImageLimits imageLimits;

	JobInputs(PhregProperties properties, PathPolicy paths, ImageProperties images) {
		this.properties = properties;
		this.paths = paths;
		this.imageLimits = images.limits();
	}

	/**
	 * Checks what can be checked without loading weights; returns one message per bad
	 * field, empty when the spec can run.
	 */
	Map<String, String> problems(DistillSpec spec) {
		Map<String, String> problems = new LinkedHashMap<>();
		ViTConfig config = null;
		try {
			config = teacherConfig(spec);
		}
		catch (IOException | IllegalArgumentException ex) {
			problems.put("teacher", ex.getMessage());
		}
		try {
			int images = images(spec).size();
			if (spec.evaluationImages() >= images) {
				problems.put("evaluationImages", "holds out " + spec.evaluationImages() + " of the " + images
						+ " images; at least one must remain for training");
			}
		}
		catch (IOException | IllegalArgumentException ex) {
			problems.put("images", ex.getMessage());
		}
		if (config != null && spec.resolution() != null && spec.resolution() % config.patchSize() != 0) {
			problems.put("resolution", "must be a multiple of the teacher's patch size " + config.patchSize() + ", got "
					+ spec.resolution());
		}
		try {
			device(spec);
		}
		catch (IllegalArgumentException ex) {
			problems.put("device", ex.getMessage());
		}
		if (spec.unlock().equals("custom") && config != null) {
			try {
				UnlockPolicy.of("custom", spec.unlockPatterns())
					.select(new VisionTransformer(
							config.toBuilder().optRegisters(1, config.registerPlacement()).build()));
			}
			catch (IllegalArgumentException ex) {
				problems.put("unlockPatterns", ex.getMessage());
			}
		}
		return problems;
	}

	/** The teacher's architecture, read from the checkpoint's header only. */
	ViTConfig teacherConfig(DistillSpec spec) throws IOException {
		if (spec.teacher().equals(DEMO)) {
			return DemoTeacher.config();
		}
		try (StateDict dict = StateDict.open(this.paths.resolveTeacher(spec.teacher()))) {
			ConvertedCheckpoint converted = CheckpointLoader.convert(dict);
			return converted.config();
		}
	}

	LoadedModel teacher(DistillSpec spec, NDManager manager) throws IOException {
		if (spec.teacher().equals(DEMO)) {
			return DemoEfficacy.asTeacher(DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager));
		}
		return CheckpointLoader.load(this.paths.resolveTeacher(spec.teacher()), manager);
	}

	ImageSource images(DistillSpec spec) throws IOException {
		if (spec.images().equals(DEMO)) {
			return ImageFolder.scan(bundledSamples());
		}
		Path source = this.paths.resolve(spec.images());
		if (Files.isRegularFile(source) && source.getFileName().toString().toLowerCase().endsWith(".tar")) {
			return TarImages.scan(source, this.paths.files(), this.imageLimits);
		}
		return ImageFolder.scan(source, this.paths.files(), this.imageLimits);
	}

	ImageSubset.Split split(DistillSpec spec, ImageSource images) {
		return ImageSubset.split(images, spec.evaluationImages(), spec.seed());
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

	Device device(DistillSpec spec) {
		String device = spec.device();
		int gpus = Engine.getInstance().getGpuCount();
		if (device.equals("auto")) {
			return (gpus > 0) ? Device.gpu(0) : Device.cpu();
		}
		if (device.equals("cpu")) {
			return Device.cpu();
		}
		if (device.matches("cuda:\\d+")) {
			int index = Integer.parseInt(device.substring(5));
			if (index >= gpus) {
				throw new IllegalArgumentException(
						"device " + device + " is not available: this machine has " + gpus + " GPU(s)");
			}
			return Device.gpu(index);
		}
		throw new IllegalArgumentException("device must be auto, cpu or cuda:N, got " + device);
	}

	/** The device name jobs queue for: slots are counted per device. */
	String deviceName(DistillSpec spec) {
		Device device = device(spec);
		return device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu";
	}

	/**
	 * The run's settings: the spec with the teacher family's defaults where it is silent.
	 */
	DistillSettings settings(DistillSpec spec, LoadedModel teacher, ImageSource training) {
		boolean clip = teacher.format() == CheckpointFormat.CLIP_OPENAI;
		double lr = (spec.learningRate() != null) ? spec.learningRate() : (clip ? 3e-4 : 1e-4);
		double end = (spec.endLearningRate() != null) ? spec.endLearningRate() : Math.min(lr, clip ? 1e-5 : 5e-6);
		int resolution = (spec.resolution() != null) ? spec.resolution() : teacher.model().config().imageSize();
		long stepsPerEpoch = (training.size() + spec.batchSize() - 1) / spec.batchSize();
		int epochs = (spec.epochs() != null) ? spec.epochs()
				: (int) ((spec.steps() + stepsPerEpoch - 1) / stepsPerEpoch);
		return new DistillSettings(spec.registers(), UnlockPolicy.of(spec.unlock(), spec.unlockPatterns()),
				spec.views(), spec.shiftFraction(), resolution, spec.batchSize(), epochs, lr, end, spec.weightDecay(),
				1f, spec.seed());
	}

	/** Steps the run trains: all epochs, or the requested step count. */
	long stepLimit(DistillSpec spec, DistillSettings settings, ImageSource training) {
		long stepsPerEpoch = (training.size() + settings.batchSize() - 1) / settings.batchSize();
		return (spec.steps() != null) ? spec.steps() : settings.epochs() * stepsPerEpoch;
	}

}
