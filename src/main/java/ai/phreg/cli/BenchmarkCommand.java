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
import ai.phreg.distill.TargetSource;
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
final class BenchmarkCommand implements Command {

	static final CommandOptions OPTIONS = CommandOptions
		.command("benchmark",
				"PH-Reg on the synthetic demo teacher: artifact figures before and after, closeness to"
						+ " the ground truth, throughput and resident memory; with --teacher, the training path on any"
						+ " checkpoint as one JSON line")
		.flag("--images", "DIR", "the photos (default ../shared/datasets/photos)")
		.flag("--epochs", "N", "passes over the training images (default 20)")
		.flag("--batch", "N", "images per step (default " + PaperDefaults.BATCH_SIZE + ")")
		.flag("--views", "N", "test-time views per image (default " + PaperDefaults.VIEWS + ")")
		.flag("--registers", "N", "register tokens to add (default " + PaperDefaults.REGISTERS + ")")
		.flag("--lr", "RATE", "initial learning rate (default DINOv2's)")
		.flag("--end-lr", "RATE", "final learning rate (default " + DemoEfficacy.SHORT_RUN_END_LEARNING_RATE + ")")
		.flag("--eval", "N", "held-out images for the figures (default " + PaperDefaults.HELD_OUT_IMAGES + ")")
		.flag("--seed", "N", "seed of every random choice (default 1)")
		.flag("--pictures", "DIR", "writes before/after pictures there")
		.flag("--teacher-chunk", "N",
				"teacher views per forward (default " + ExecutionSettings.DEFAULT_TEACHER_CHUNK + ")")
		.flag("--teacher-precision", "fp32|bf16|fp16", CommandOptions.TEACHER_PRECISION_HELP)
		.flag("--target-cache", "on|off", "caches the denoised targets on disk (default off)")
		.flag("--view-sets", "N",
				"view sets the target cache keeps per image (default " + TargetCacheSettings.DEFAULT_VIEW_SETS + ")")
		.flag("--cache-dir", "DIR", "the target cache's folder (default a phreg-target-cache temporary folder)")
		.flag("--targets", "tta|test-time-registers|both",
				"where the denoised targets come from: shifted views (default), one pass with test-time registers,"
						+ " or the views with test-time registers")
		.flag("--export-teacher", "DIR", "only writes the demo teacher there as a Hugging Face folder");

	@Override
	public CommandOptions options(String[] args) {
		boolean anyTeacher = Arrays.stream(args)
			.anyMatch((arg) -> arg.equals("--teacher") || arg.startsWith("--teacher="));
		return anyTeacher ? TrainingBenchmark.OPTIONS : OPTIONS;
	}

	@Override
	public String usage() {
		return OPTIONS.usage() + "\n" + TrainingBenchmark.OPTIONS.usage();
	}

	@Override
	public int run(CommandOptions.Parsed arguments, PrintStream out, PrintStream err) {
		if (arguments.options() == TrainingBenchmark.OPTIONS) {
			return TrainingBenchmark.run(arguments, out, err);
		}
		Options options = new Options(arguments);
		try (NDManager manager = NDManager.newBaseManager()) {
			if (options.exportTeacher != null) {
				return exportTeacher(options.exportTeacher, manager, out);
			}
			ImageFolder images = ImageFolder.scan(options.images);
			int resolution = DemoTeacher.config().imageSize();
			long steps = DistillSettings.stepsOfEpochs(options.epochs, images.size() - options.eval, options.batch);
			DistillSettings settings = new DistillSettings(options.registers, UnlockPolicy.DEFAULT, options.views,
					PaperDefaults.SHIFT_FRACTION, resolution, options.batch, steps, options.lr, options.endLr,
					PaperDefaults.WEIGHT_DECAY, PaperDefaults.MSE_WEIGHT, options.seed, options.targets);
			out.printf(Locale.ROOT, "demo teacher (synthetic, planted artifact neurons), seed %d, %d px%n",
					DemoTeacher.DEFAULT_SEED, resolution);
			out.printf(Locale.ROOT,
					"images: %d from %s; training on random crops of %d, evaluation on center crops of"
							+ " the %d others%n",
					images.size(), options.images, images.size() - options.eval, options.eval);
			out.println("settings: " + settings);
			List<Long> rss = new ArrayList<>();
			List<Double> teacherMillis = new ArrayList<>();
			long started = System.nanoTime();
			ExecutionSettings execution = options.execution();
			out.println("execution: " + execution);
			DemoEfficacy.Result result = DemoEfficacy.run(settings, execution, DemoTeacher.DEFAULT_SEED, images,
					options.eval, (report) -> {
						teacherMillis.add(report.teacherMillis());
						progress(report, rss, out);
					}, options.pictures, manager);
			print(out, "teacher", result.teacher(), result.teacherToTruth());
			print(out, "student", result.student(), result.studentToTruth());
			out.printf(Locale.ROOT, "training: %d steps in %.1f s (%.2f s/step); whole benchmark %.1f s%n",
					result.steps(), result.trainSeconds(), result.trainSeconds() / Math.max(1, result.steps()),
					(System.nanoTime() - started) / 1e9);
			out.printf(Locale.ROOT, "teacher: %.2f s per step on average (targets %s)%n",
					teacherMillis.stream().mapToDouble(Double::doubleValue).average().orElse(0) / 1e3,
					settings.targets().label());
			if (!rss.isEmpty()) {
				out.printf(Locale.ROOT, "resident memory: %d MB after the first step, %d MB at the end, %d MB peak%n",
						rss.get(0) >> 20, rss.get(rss.size() - 1) >> 20,
						rss.stream().mapToLong(Long::longValue).max().orElse(0) >> 20);
			}
			result.pictures().forEach((picture) -> out.println("picture: " + picture));
			return SUCCESS;
		}
		catch (IOException | RuntimeException ex) {
			err.println("phreg benchmark: " + ex.getMessage());
			return FAILURE;
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
		return SUCCESS;
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

		final Path images;

		final int epochs;

		final int batch;

		final int views;

		final int registers;

		final double lr;

		final double endLr;

		final int eval;

		final long seed;

		final Path pictures;

		final Path exportTeacher;

		final TargetSource targets;

		private final ExecutionSettings execution;

		Options(CommandOptions.Parsed arguments) {
			this.images = arguments.path("--images", Path.of("../shared/datasets/photos"));
			this.epochs = arguments.integer("--epochs", 20);
			this.batch = arguments.integer("--batch", PaperDefaults.BATCH_SIZE);
			this.views = arguments.integer("--views", PaperDefaults.VIEWS);
			this.registers = arguments.integer("--registers", PaperDefaults.REGISTERS);
			// The demo teacher is a DINOv2 (hub layout): the paper's initial rate for
			// that family, and a final rate fit for a short run.
			this.lr = arguments.decimal("--lr", FamilyProfile.DINOV2_HUB.learningRate());
			this.endLr = arguments.decimal("--end-lr", DemoEfficacy.SHORT_RUN_END_LEARNING_RATE);
			this.eval = arguments.integer("--eval", PaperDefaults.HELD_OUT_IMAGES);
			this.seed = arguments.longInteger("--seed", 1);
			this.pictures = arguments.path("--pictures");
			this.exportTeacher = arguments.path("--export-teacher");
			this.targets = arguments.targets("--targets", TargetSource.TTA);
			TargetCacheSettings cache = arguments.onOff("--target-cache", false)
					? TargetCacheSettings.on(arguments.path("--cache-dir", TrainingBenchmark.DEFAULT_CACHE_DIR))
						.withViewSets(arguments.integer("--view-sets", TargetCacheSettings.DEFAULT_VIEW_SETS))
					: TargetCacheSettings.OFF;
			this.execution = ExecutionSettings.DEFAULT
				.withTeacherChunk(arguments.integer("--teacher-chunk", ExecutionSettings.DEFAULT_TEACHER_CHUNK))
				.withTargetCache(cache)
				.withTeacherPrecision(arguments.teacherPrecision("--teacher-precision"));
		}

		ExecutionSettings execution() {
			return this.execution;
		}

	}

}
