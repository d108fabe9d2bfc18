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
import ai.phreg.distill.TeacherPrecision;
import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.model.ViTConfig;
import ai.phreg.system.NativeHeap;
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

	static final CommandOptions OPTIONS = CommandOptions
		.command("benchmark",
				"the real training path on any teacher, timed per phase, printed as one JSON line with"
						+ " the field names of the PyTorch reference (phreg_reference.py); warm-up steps are not timed")
		.flag("--teacher", "PATH", "the teacher checkpoint file or folder (required)")
		.flag("--images", "DIR", "the training images (required)")
		.flag("--steps", "N", "timed steps (default 5)")
		.flag("--warmup", "N", "untimed steps first (default 1)")
		.flag("--batch", "N", "images per step (default 8)")
		.flag("--views", "N", "test-time views per image (default 10)")
		.flag("--shift", "F", "largest shift as a fraction of the patch grid (default 0.15)")
		.flag("--registers", "N", "register tokens to add (default 16)")
		.flag("--resolution", "PX", "square crop (default the teacher's native size)")
		.flag("--lr", "RATE", "initial learning rate (default 1e-4)")
		.flag("--end-lr", "RATE", "final learning rate (default 5e-6)")
		.flag("--epochs-for-schedule", "N", "epochs the learning-rate schedule spans (default 100)")
		.flag("--weight-decay", "F", "AdamW's weight decay (default 0.01)")
		.flag("--mse-weight", "F", "weight of the MSE term (default 1)")
		.flag("--unlock", "POLICY", "default, registers (registers only) or registers-only (default default)")
		.flag("--teacher-chunk", "N",
				"teacher views per forward (default " + ExecutionSettings.DEFAULT_TEACHER_CHUNK + ")")
		.flag("--teacher-precision", "fp32|bf16|fp16", CommandOptions.TEACHER_PRECISION_HELP)
		.flag("--prefetch", "on|off", "prepares the next batch on another thread (default on)")
		.flag("--teacher-ahead", "on|off", "also runs the teacher ahead on that thread (default off)")
		.flag("--target-cache", "on|off", "caches the denoised targets on disk (default off)")
		.flag("--view-sets", "N",
				"view sets the target cache keeps per image (default " + TargetCacheSettings.DEFAULT_VIEW_SETS + ")")
		.flag("--cache-dir", "DIR", "the target cache's folder (default a phreg-target-cache temporary folder)")
		.flag("--cache-cap-gb", "N", "the target cache's size limit in GiB")
		.flag("--threads", "N", "libtorch threads (default: every core)")
		.flag("--device", "cpu|cuda:N", "where teacher, student, batches and cached targets live (default cpu)")
		.flag("--seed", "N", "seed of every random choice (default 0)")
		.flag("--log-every", "N", "prints a step line to stderr every N steps, 0 for none (default 1)");

	/** Where the target cache goes unless {@code --cache-dir} says. */
	static final Path DEFAULT_CACHE_DIR = Path.of(System.getProperty("java.io.tmpdir"), "phreg-target-cache");

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Pattern NATIVE_MATH = Pattern.compile("(blas|lapack|mkl|libiomp|libgomp|libomp)",
			Pattern.CASE_INSENSITIVE);

	private TrainingBenchmark() {
	}

	static int run(CommandOptions.Parsed arguments, PrintStream out, PrintStream err) {
		Options options = new Options(arguments);
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
					return Command.FAILURE;
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
				return Command.SUCCESS;
			}
		}
		catch (IOException | RuntimeException ex) {
			err.println("phreg benchmark: " + ex.getMessage());
			return Command.FAILURE;
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
		result.put("native_heap", NativeHeap.setting());
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
		result.put("teacher_precision", execution.teacherPrecision().spelling());
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

		final Path teacher;

		final Path images;

		final int steps;

		final int warmup;

		final int batch;

		final int views;

		final double shift;

		final int registers;

		final int resolution;

		final double lr;

		final double endLr;

		final int epochsForSchedule;

		final double weightDecay;

		final float mseWeight;

		final UnlockPolicy unlock;

		final int teacherChunk;

		final TeacherPrecision teacherPrecision;

		final boolean prefetch;

		final boolean teacherAhead;

		final boolean targetCache;

		final int viewSets;

		final Path cacheDir;

		final double cacheCapGb;

		final int threads;

		final String device;

		final long seed;

		final int logEvery;

		Options(CommandOptions.Parsed arguments) {
			this.teacher = arguments.path("--teacher");
			this.images = arguments.path("--images");
			this.steps = arguments.integer("--steps", 5);
			this.warmup = arguments.integer("--warmup", 1);
			this.batch = arguments.integer("--batch", 8);
			this.views = arguments.integer("--views", 10);
			this.shift = arguments.decimal("--shift", 0.15);
			this.registers = arguments.integer("--registers", 16);
			this.resolution = arguments.integer("--resolution", 0);
			this.lr = arguments.decimal("--lr", 1e-4);
			this.endLr = arguments.decimal("--end-lr", 5e-6);
			this.epochsForSchedule = arguments.integer("--epochs-for-schedule", 100);
			this.weightDecay = arguments.decimal("--weight-decay", 1e-2);
			this.mseWeight = (float) arguments.decimal("--mse-weight", 1);
			this.unlock = unlockPolicy(arguments.text("--unlock", "default"));
			this.teacherChunk = arguments.integer("--teacher-chunk", ExecutionSettings.DEFAULT_TEACHER_CHUNK);
			this.teacherPrecision = arguments.teacherPrecision("--teacher-precision");
			this.prefetch = arguments.onOff("--prefetch", true);
			this.teacherAhead = arguments.onOff("--teacher-ahead", false);
			this.targetCache = arguments.onOff("--target-cache", false);
			this.viewSets = arguments.integer("--view-sets", TargetCacheSettings.DEFAULT_VIEW_SETS);
			this.cacheDir = arguments.path("--cache-dir", DEFAULT_CACHE_DIR);
			this.cacheCapGb = arguments.decimal("--cache-cap-gb",
					TargetCacheSettings.DEFAULT_CAP_BYTES / (double) (1L << 30));
			this.threads = arguments.integer("--threads", 0);
			this.device = arguments.text("--device", "cpu");
			this.seed = arguments.longInteger("--seed", 0);
			this.logEvery = arguments.integer("--log-every", 1);
			if (this.teacher == null || this.images == null) {
				throw new CommandOptions.UsageException("--teacher and --images are required");
			}
			if (this.steps < 1 || this.warmup < 0) {
				throw new CommandOptions.UsageException("need --steps >= 1 and --warmup >= 0");
			}
		}

		ExecutionSettings execution() {
			TargetCacheSettings cache = this.targetCache
					? TargetCacheSettings.on(this.cacheDir)
						.withViewSets(this.viewSets)
						.withCap((long) (this.cacheCapGb * (1L << 30)), TargetCacheSettings.OverCap.REFUSE)
					: TargetCacheSettings.OFF;
			return new ExecutionSettings(this.teacherChunk, this.prefetch || this.teacherAhead, this.teacherAhead,
					cache, Determinism.DEFAULT, this.teacherPrecision);
		}

		/** The reference's name for registers only is {@code registers}. */
		private static UnlockPolicy unlockPolicy(String name) {
			try {
				return UnlockPolicy.of("registers".equals(name) ? "registers-only" : name, List.of());
			}
			catch (IllegalArgumentException ex) {
				throw new CommandOptions.UsageException("--unlock: " + ex.getMessage());
			}
		}

	}

}
