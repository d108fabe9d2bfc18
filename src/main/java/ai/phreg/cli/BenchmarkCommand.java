package ai.phreg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.demo.DemoModels;
import ai.phreg.demo.DemoEfficacy;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.DistillSettings;
import ai.phreg.distill.ExecutionSettings;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.imagesource.ImageFolder;
import ai.phreg.distill.StepReport;
import ai.phreg.distill.UnlockPolicy;
import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.metrics.ArtifactSummary;
import ai.phreg.system.ProcessMemory;

/**
 * {@code phreg benchmark}: PH-Reg on the synthetic demo teacher and a folder of photos,
 * printing the artifact figures before and after, closeness to the ground truth,
 * throughput, and the process's resident memory along the run (it must stay flat).
 */
public final class BenchmarkCommand {

	static final String USAGE = "usage: phreg benchmark [--images DIR] [--epochs N] [--batch N] [--views N]"
			+ " [--registers N] [--lr RATE] [--end-lr RATE] [--eval N] [--seed N] [--pictures DIR] [--teacher-chunk N]"
			+ " [--target-cache on|off] [--view-sets N] [--cache-dir DIR] [--export-teacher DIR]\n"
			+ TrainingBenchmark.USAGE;

	private BenchmarkCommand() {
	}

	public static int run(String[] args, PrintStream out, PrintStream err) {
		if (Arrays.asList(args).contains("--teacher")) {
			return TrainingBenchmark.run(args, out, err);
		}
		Options options;
		try {
			options = Options.parse(args);
		}
		catch (IllegalArgumentException | IndexOutOfBoundsException ex) {
			err.println("phreg benchmark: " + ex.getMessage());
			err.println(USAGE);
			return 2;
		}
		try (NDManager manager = NDManager.newBaseManager()) {
			if (options.exportTeacher != null) {
				return exportTeacher(options.exportTeacher, manager, out);
			}
			ImageFolder images = ImageFolder.scan(options.images);
			int resolution = DemoTeacher.config().imageSize();
			long steps = DistillSettings.stepsOfEpochs(options.epochs, images.size() - options.eval, options.batch);
			DistillSettings settings = new DistillSettings(options.registers, UnlockPolicy.DEFAULT, options.views,
					PaperDefaults.SHIFT_FRACTION, resolution, options.batch, steps, options.lr, options.endLr,
					PaperDefaults.WEIGHT_DECAY, PaperDefaults.MSE_WEIGHT, options.seed);
			out.printf(Locale.ROOT, "demo teacher (synthetic, planted artifact neurons), seed %d, %d px%n",
					DemoTeacher.DEFAULT_SEED, resolution);
			out.printf(Locale.ROOT,
					"images: %d from %s; training on random crops of %d, evaluation on center crops of"
							+ " the %d others%n",
					images.size(), options.images, images.size() - options.eval, options.eval);
			out.println("settings: " + settings);
			List<Long> rss = new ArrayList<>();
			long started = System.nanoTime();
			ExecutionSettings execution = options.execution();
			out.println("execution: " + execution);
			DemoEfficacy.Result result = DemoEfficacy.run(settings, execution, DemoTeacher.DEFAULT_SEED, images,
					options.eval, (report) -> progress(report, rss, out), options.pictures, manager);
			print(out, "teacher", result.teacher(), result.teacherToTruth());
			print(out, "student", result.student(), result.studentToTruth());
			out.printf(Locale.ROOT, "training: %d steps in %.1f s (%.2f s/step); whole benchmark %.1f s%n",
					result.steps(), result.trainSeconds(), result.trainSeconds() / Math.max(1, result.steps()),
					(System.nanoTime() - started) / 1e9);
			if (!rss.isEmpty()) {
				out.printf(Locale.ROOT, "resident memory: %d MB after the first step, %d MB at the end, %d MB peak%n",
						rss.get(0) >> 20, rss.get(rss.size() - 1) >> 20,
						rss.stream().mapToLong(Long::longValue).max().orElse(0) >> 20);
			}
			result.pictures().forEach((picture) -> out.println("picture: " + picture));
			return 0;
		}
		catch (IOException | RuntimeException ex) {
			err.println("phreg benchmark: " + ex.getMessage());
			return 1;
		}
	}

	/**
	 * Writes the demo teacher as a Hugging Face {@code Dinov2Model} folder, so that the
	 * PyTorch reference trains on exactly the same weights, planted artifacts included.
	 */
	private static int exportTeacher(Path folder, NDManager manager, PrintStream out) throws IOException {
		DemoModels models = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager);
		CheckpointExporter.export(models.teacher(), CheckpointFormat.DINOV2_HF, folder, DType.F32,
				Map.of("phreg.demo_seed", Long.toString(DemoTeacher.DEFAULT_SEED)));
		out.println("demo teacher written to " + folder);
		return 0;
	}

	private static void progress(StepReport report, List<Long> rss, PrintStream out) {
		rss.add(ProcessMemory.resident().orElse(0));
		if (!report.updated()) {
			out.printf(Locale.ROOT, "step %d: loss or gradients not finite, update skipped%n", report.globalStep());
		}
		if (report.globalStep() == 1 || report.globalStep() % 10 == 0 || report.globalStep() == report.totalSteps()) {
			out.printf(Locale.ROOT,
					"step %d/%d epoch %d: loss %.4f (cos %.4f, mse %.4f), lr %.2e, %.1f img/s, teacher %.0f ms,"
							+ " student %.0f ms, rss %d MB%n",
					report.globalStep(), report.totalSteps(), report.epoch(), report.loss(), report.cosineLoss(),
					report.mseLoss(), report.learningRate(), report.imagesPerSecond(), report.teacherMillis(),
					report.studentMillis(), rss.get(rss.size() - 1) >> 20);
		}
	}

	private static void print(PrintStream out, String who, ArtifactSummary summary, double toTruth) {
		out.printf(Locale.ROOT,
				"%s: outlier fraction %.2f%% (threshold %s), max/median norm %.1f, neighbour cosine %.3f,"
						+ " cosine to denoised p50/p90/p99 %.3f/%.3f/%.3f, mean cosine to ground truth %.4f%n",
				who, 100 * summary.outlierFraction(), summary.threshold(), summary.maxToMedianRatio(),
				summary.neighbourCosine(), summary.cosineToTarget().p50(), summary.cosineToTarget().p90(),
				summary.cosineToTarget().p99(), toTruth);
	}

	private static final class Options {

		Path images = Path.of("../shared/datasets/photos");

		int epochs = 20;

		int batch = PaperDefaults.BATCH_SIZE;

		int views = PaperDefaults.VIEWS;

		int registers = PaperDefaults.REGISTERS;

		// The demo teacher is a DINOv2 (hub layout): the paper's initial rate for that
		// family, and a final rate fit for a short run.
		double lr = FamilyProfile.DINOV2_HUB.learningRate();

		double endLr = DemoEfficacy.SHORT_RUN_END_LEARNING_RATE;

		int eval = PaperDefaults.HELD_OUT_IMAGES;

		long seed = 1;

		Path pictures;

		int teacherChunk = ExecutionSettings.DEFAULT_TEACHER_CHUNK;

		boolean targetCache;

		int viewSets = TargetCacheSettings.DEFAULT_VIEW_SETS;

		Path cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "phreg-target-cache");

		Path exportTeacher;

		ExecutionSettings execution() {
			TargetCacheSettings cache = this.targetCache
					? TargetCacheSettings.on(this.cacheDir).withViewSets(this.viewSets) : TargetCacheSettings.OFF;
			return ExecutionSettings.DEFAULT.withTeacherChunk(this.teacherChunk).withTargetCache(cache);
		}

		static Options parse(String[] args) {
			Options options = new Options();
			for (int i = 0; i < args.length; i += 2) {
				String value = args[i + 1];
				switch (args[i]) {
					case "--images" -> options.images = Path.of(value);
					case "--epochs" -> options.epochs = Integer.parseInt(value);
					case "--batch" -> options.batch = Integer.parseInt(value);
					case "--views" -> options.views = Integer.parseInt(value);
					case "--registers" -> options.registers = Integer.parseInt(value);
					case "--lr" -> options.lr = Double.parseDouble(value);
					case "--end-lr" -> options.endLr = Double.parseDouble(value);
					case "--eval" -> options.eval = Integer.parseInt(value);
					case "--seed" -> options.seed = Long.parseLong(value);
					case "--pictures" -> options.pictures = Path.of(value);
					case "--teacher-chunk" -> options.teacherChunk = Integer.parseInt(value);
					case "--target-cache" -> options.targetCache = TrainingBenchmark.onOff("--target-cache", value);
					case "--view-sets" -> options.viewSets = Integer.parseInt(value);
					case "--cache-dir" -> options.cacheDir = Path.of(value);
					case "--export-teacher" -> options.exportTeacher = Path.of(value);
					default -> throw new IllegalArgumentException("unknown option " + args[i]);
				}
			}
			return options;
		}

	}

}
