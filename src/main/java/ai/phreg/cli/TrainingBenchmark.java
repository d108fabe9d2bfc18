package ai.phreg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.Distiller;
import ai.phreg.distill.Determinism;
import ai.phreg.distill.ExecutionSettings;
import ai.phreg.imagesource.ImageFolder;
import ai.phreg.distill.PhaseTimes;
import ai.phreg.distill.StepPhase;
import ai.phreg.distill.StepReport;
import ai.phreg.distill.Training;
import ai.phreg.distill.TtaPlan;
import ai.phreg.distill.UnlockPolicy;
import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.model.ViTConfig;
import ai.phreg.system.ProcessMemory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code phreg benchmark --teacher DIR --images DIR}: the real training path on any
 * teacher checkpoint, timed per phase and printed as one JSON line with the field names
 * of the PyTorch reference ({@code phreg_reference.py}), so the two compare like with
 * like. Images are decoded before timing and warm-up steps run first; neither is timed,
 * as there.
 */
final class TrainingBenchmark {

	static final String USAGE = "usage: phreg benchmark --teacher CHECKPOINT --images DIR [--steps N] [--warmup N]"
			+ " [--batch N] [--views N] [--shift F] [--registers N] [--resolution PX] [--lr RATE] [--end-lr RATE]"
			+ " [--epochs-for-schedule N] [--weight-decay F] [--mse-weight F] [--unlock POLICY] [--teacher-chunk N]"
			+ " [--prefetch on|off] [--teacher-ahead on|off] [--target-cache on|off] [--view-sets N] [--cache-dir DIR] [--cache-cap-gb N]"
			+ " [--threads N] [--seed N] [--log-every N] [--device cpu|cuda:N]";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Pattern NATIVE_MATH = Pattern.compile("(blas|lapack|mkl|libiomp|libgomp|libomp)",
			Pattern.CASE_INSENSITIVE);

	private TrainingBenchmark() {
	}

	static int run(String[] args, PrintStream out, PrintStream err) {
		Options options;
		try {
			options = Options.parse(args);
		}
		catch (IllegalArgumentException | IndexOutOfBoundsException ex) {
			err.println("phreg benchmark: " + ex.getMessage());
			err.println(USAGE);
			return 2;
		}
		if (options.threads > 0) {
			// Read once when the engine starts, which has not happened yet.
			System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads));
			System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
		}
		double[] loadStart = loadAverage();
		try (NDManager manager = NDManager.newBaseManager(device(options.device))) {
			long setupStarted = System.nanoTime();
			LoadedModel teacher = CheckpointLoader.load(options.teacher, manager);
			ViTConfig config = teacher.model().config();
			int resolution = (options.resolution > 0) ? options.resolution : config.imageSize();
			ImageFolder images = ImageFolder.scan(options.images);
			DistillSettings settings = new DistillSettings(options.registers, options.unlock, options.views,
					options.shift, resolution, options.batch,
					DistillSettings.stepsOfEpochs(options.epochsForSchedule, images.size(), options.batch), options.lr,
					options.endLr, options.weightDecay, options.mseWeight, options.seed);
			ExecutionSettings execution = options.execution();
			try (Training training = Training.of(teacher, images, settings).execution(execution).start(manager)) {
				Distiller distiller = training.distiller();
				double setupSeconds = (System.nanoTime() - setupStarted) / 1e9;
				long decodeStarted = System.nanoTime();
				distiller.decodeImages();
				double decodeSeconds = (System.nanoTime() - decodeStarted) / 1e9;
				long total = Math.min(options.warmup + options.steps, distiller.totalSteps());
				PhaseTimes phases = new PhaseTimes();
				List<StepReport> timed = new ArrayList<>();
				ArrayNode rss = JSON.createArrayNode();
				long wallStarted = System.nanoTime();
				for (long step = 0; step < total; step++) {
					if (step == options.warmup) {
						wallStarted = System.nanoTime();
					}
					StepReport report = distiller.step();
					if (report == null) {
						continue;
					}
					boolean isTimed = step >= options.warmup;
					if (isTimed) {
						phases.add(report.phases());
						timed.add(report);
					}
					if (options.logEvery > 0 && (step % options.logEvery == 0 || step == total - 1)) {
						long resident = ProcessMemory.resident().orElse(0) >> 20;
						rss.add(resident);
						err.printf(Locale.ROOT,
								"step %d/%d%s epoch %d lr %.3e loss %.6f data %.3fs teacher %.3fs student %.3fs"
										+ " opt %.3fs cache %d/%d rss %d MB%n",
								step + 1, total, isTimed ? "" : " (warm-up)", report.epoch(), report.learningRate(),
								report.loss(), report.phases().seconds(StepPhase.DATA),
								report.phases().teacherSeconds(), report.phases().seconds(StepPhase.STUDENT_FWD_BWD),
								report.phases().seconds(StepPhase.OPTIMIZER), report.cacheHits(), report.images(),
								resident);
					}
				}
				double wall = (System.nanoTime() - wallStarted) / 1e9;
				if (timed.isEmpty()) {
					err.println("phreg benchmark: no timed step ran; ask for more --steps than --warmup");
					return 1;
				}
				ObjectNode result = result(options, settings, execution, distiller, teacher, images, timed, phases,
						wall);
				result.put("setup_s", round(setupSeconds, 3));
				result.put("decode_s", round(decodeSeconds, 3));
				result.set("rss_mb", rss);
				ArrayNode start = result.putArray("loadavg_start");
				for (double value : loadStart) {
					start.add(round(value, 2));
				}
				ArrayNode end = result.putArray("loadavg_end");
				for (double value : loadAverage()) {
					end.add(round(value, 2));
				}
				out.println(JSON.writeValueAsString(result));
				return 0;
			}
		}
		catch (IOException | RuntimeException ex) {
			err.println("phreg benchmark: " + ex.getMessage());
			return 1;
		}
	}

	private static ObjectNode result(Options options, DistillSettings settings, ExecutionSettings execution,
			Distiller distiller, LoadedModel teacher, ImageFolder images, List<StepReport> timed, PhaseTimes phases,
			double wall) {
		ViTConfig config = teacher.model().config();
		int trained = timed.stream().mapToInt(StepReport::images).sum();
		ObjectNode result = JSON.createObjectNode();
		result.put("bench", "phreg");
		result.put("schema", 1);
		result.put("mode", distiller.isTargetCacheActive() ? "target-cache" : "tta");
		result.put("steps", timed.size());
		result.put("warmup_steps", options.warmup);
		result.put("batch", settings.batchSize());
		result.put("images", trained);
		result.put("wall_s", round(wall, 4));
		result.put("images_per_s", round(trained / wall, 4));
		result.put("s_per_step", round(wall / timed.size(), 4));
		ObjectNode phaseSeconds = result.putObject("phase_s");
		phaseSeconds.put(StepPhase.DATA.key(), round(phases.seconds(StepPhase.DATA), 4));
		phaseSeconds.put("teacher_tta", round(phases.teacherSeconds(), 4));
		for (StepPhase phase : StepPhase.values()) {
			if (phase != StepPhase.DATA) {
				phaseSeconds.put(phase.key(), round(phases.seconds(phase), 4));
			}
		}
		result.put("teacher_view_images", timed.stream().mapToLong(StepReport::teacherViewImages).sum());
		result.put("cache_hits", timed.stream().mapToLong(StepReport::cacheHits).sum());
		result.put("skipped_steps", timed.stream().filter((report) -> !report.updated()).count());
		result.put("loss_first", timed.get(0).loss());
		result.put("loss_last", timed.get(timed.size() - 1).loss());
		result.put("lr_last", timed.get(timed.size() - 1).learningRate());
		result.put("device", options.device);
		result.put("threads", (options.threads > 0) ? options.threads : Runtime.getRuntime().availableProcessors());
		result.put("interop_threads", 1);
		result.put("torch", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
		ArrayNode loaded = result.putArray("blas_loaded");
		nativeMathLibraries().forEach(loaded::add);
		result.put("cpu", cpuModel());
		result.put("cpu_count", Runtime.getRuntime().availableProcessors());
		result.put("max_rss_mb", ProcessMemory.peakResident().orElse(0) >> 20);
		result.put("jvm_heap_max_mb", Runtime.getRuntime().maxMemory() >> 20);
		ObjectNode teacherNode = result.putObject("teacher");
		teacherNode.put("path", options.teacher.toString());
		teacherNode.put("format", teacher.format().name());
		teacherNode.put("hidden", config.embedDim());
		teacherNode.put("layers", config.depth());
		teacherNode.put("heads", config.numHeads());
		teacherNode.put("patch", config.patchSize());
		teacherNode.put("native_grid", config.gridSize());
		teacherNode.put("registers", config.numRegisters());
		result.put("student_registers", distiller.student().config().numRegisters());
		result.put("trainable_params",
				distiller.unlockedParameters()
					.stream()
					.mapToLong((name) -> distiller.student().parameterShapes().get(name).size())
					.sum());
		result.put("unlock", options.unlock.name());
		result.put("resolution", settings.resolution());
		result.put("grid", settings.resolution() / config.patchSize());
		result.put("views", settings.views());
		result.put("shift", settings.shiftFraction());
		result.put("shift_patches",
				TtaPlan.maxShift(settings.resolution() / config.patchSize(), settings.shiftFraction()));
		result.put("teacher_chunk", execution.teacherChunk());
		result.put("prefetch", execution.prefetch());
		result.put("teacher_ahead", execution.teacherAhead());
		result.put("view_sets", execution.targetCache().enabled() ? execution.targetCache().viewSets() : 0);
		result.put("dataset_images", images.size());
		result.put("steps_for_schedule", settings.steps());
		result.put("seed", settings.seed());
		return result;
	}

	/**
	 * The device teacher, student, batches and cached targets live on: {@code cpu} or
	 * {@code cuda:N}.
	 */
	static Device device(String name) {
		if (name.equals("cpu")) {
			return Device.cpu();
		}
		if (name.matches("cuda:\\d+")) {
			int index = Integer.parseInt(name.substring("cuda:".length()));
			int gpus = Engine.getInstance().getGpuCount();
			if (index >= gpus) {
				throw new IllegalArgumentException(
						"--device " + name + " is not available: this machine has " + gpus + " GPU(s)");
			}
			return Device.gpu(index);
		}
		throw new IllegalArgumentException("--device takes cpu or cuda:N, not " + name);
	}

	/** Parses an {@code on|off} option value. */
	static boolean onOff(String option, String value) {
		return switch (value) {
			case "on" -> true;
			case "off" -> false;
			default -> throw new IllegalArgumentException(option + " takes on or off, not " + value);
		};
	}

	private static double round(double value, int digits) {
		double scale = Math.pow(10, digits);
		return Math.round(value * scale) / scale;
	}

	private static double[] loadAverage() {
		try {
			String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
			return new double[] { Double.parseDouble(fields[0]), Double.parseDouble(fields[1]),
					Double.parseDouble(fields[2]) };
		}
		catch (IOException | RuntimeException ex) {
			// Not Linux: fall back to the JVM's one-minute figure.
			return new double[] { ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() };
		}
	}

	/** The BLAS, LAPACK and OpenMP libraries mapped into this process. */
	private static TreeSet<String> nativeMathLibraries() {
		TreeSet<String> libraries = new TreeSet<>();
		try {
			for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
				String[] fields = line.trim().split("\\s+");
				if (fields.length >= 6) {
					String file = Path.of(fields[5]).getFileName().toString();
					if (NATIVE_MATH.matcher(file).find() || file.startsWith("libtorch_cpu")) {
						libraries.add(fields[5]);
					}
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// Not Linux: the list stays empty.
		}
		return libraries;
	}

	private static String cpuModel() {
		try {
			return Files.readAllLines(Path.of("/proc/cpuinfo"))
				.stream()
				.filter((line) -> line.startsWith("model name"))
				.map((line) -> line.substring(line.indexOf(':') + 1).trim())
				.findFirst()
				.orElse("");
		}
		catch (IOException ex) {
			return "";
		}
	}

	private static final class Options {

		Path teacher;

		Path images;

		int steps = 5;

		int warmup = 1;

		int batch = 8;

		int views = 10;

		double shift = 0.15;

		int registers = 16;

		int resolution;

		double lr = 1e-4;

		double endLr = 5e-6;

		int epochsForSchedule = 100;

		double weightDecay = 1e-2;

		float mseWeight = 1f;

		UnlockPolicy unlock = UnlockPolicy.DEFAULT;

		int teacherChunk = ExecutionSettings.DEFAULT_TEACHER_CHUNK;

		boolean prefetch = true;

		boolean teacherAhead;

		boolean targetCache;

		int viewSets = TargetCacheSettings.DEFAULT_VIEW_SETS;

		Path cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "phreg-target-cache");

		double cacheCapGb = TargetCacheSettings.DEFAULT_CAP_BYTES / (double) (1L << 30);

		int threads;

		String device = "cpu";

		long seed;

		int logEvery = 1;

		static Options parse(String[] args) {
			Options options = new Options();
			for (int i = 0; i < args.length; i += 2) {
				String value = args[i + 1];
				switch (args[i]) {
					case "--teacher" -> options.teacher = Path.of(value);
					case "--images" -> options.images = Path.of(value);
					case "--steps" -> options.steps = Integer.parseInt(value);
					case "--warmup" -> options.warmup = Integer.parseInt(value);
					case "--batch" -> options.batch = Integer.parseInt(value);
					case "--views" -> options.views = Integer.parseInt(value);
					case "--shift" -> options.shift = Double.parseDouble(value);
					case "--registers" -> options.registers = Integer.parseInt(value);
					case "--resolution" -> options.resolution = Integer.parseInt(value);
					case "--lr" -> options.lr = Double.parseDouble(value);
					case "--end-lr" -> options.endLr = Double.parseDouble(value);
					case "--epochs-for-schedule" -> options.epochsForSchedule = Integer.parseInt(value);
					case "--weight-decay" -> options.weightDecay = Double.parseDouble(value);
					case "--mse-weight" -> options.mseWeight = Float.parseFloat(value);
					case "--unlock" -> options.unlock = unlockPolicy(value);
					case "--teacher-chunk" -> options.teacherChunk = Integer.parseInt(value);
					case "--prefetch" -> options.prefetch = onOff("--prefetch", value);
					case "--teacher-ahead" -> options.teacherAhead = onOff("--teacher-ahead", value);
					case "--target-cache" -> options.targetCache = onOff("--target-cache", value);
					case "--view-sets" -> options.viewSets = Integer.parseInt(value);
					case "--cache-dir" -> options.cacheDir = Path.of(value);
					case "--cache-cap-gb" -> options.cacheCapGb = Double.parseDouble(value);
					case "--threads" -> options.threads = Integer.parseInt(value);
					case "--device" -> options.device = value;
					case "--seed" -> options.seed = Long.parseLong(value);
					case "--log-every" -> options.logEvery = Integer.parseInt(value);
					default -> throw new IllegalArgumentException("unknown option " + args[i]);
				}
			}
			if (options.teacher == null || options.images == null) {
				throw new IllegalArgumentException("--teacher and --images are required");
			}
			if (options.steps < 1 || options.warmup < 0) {
				throw new IllegalArgumentException("need --steps >= 1 and --warmup >= 0");
			}
			return options;
		}

		ExecutionSettings execution() {
			TargetCacheSettings cache = this.targetCache
					? TargetCacheSettings.on(this.cacheDir)
						.withViewSets(this.viewSets)
						.withCap((long) (this.cacheCapGb * (1L << 30)), TargetCacheSettings.OverCap.REFUSE)
					: TargetCacheSettings.OFF;
			return new ExecutionSettings(this.teacherChunk, this.prefetch || this.teacherAhead, this.teacherAhead,
					cache, Determinism.DEFAULT);
		}

		/** The reference's name for registers only is {@code registers}. */
		private static UnlockPolicy unlockPolicy(String name) {
			return UnlockPolicy.of("registers".equals(name) ? "registers-only" : name, List.of());
		}

	}

}
