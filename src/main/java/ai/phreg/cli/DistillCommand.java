package ai.phreg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

import ai.phreg.PhregApplication;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.distill.TargetSource;
import ai.phreg.distill.TeacherPrecision;
import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.job.DistillSpec;
import ai.phreg.job.InvalidSpecException;
import ai.phreg.job.JobFolders;
import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import ai.phreg.job.JobView;
import ai.phreg.job.Unlock;
import ai.phreg.system.PhregProperties;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code phreg distill --teacher PATH --images PATH [spec flags]}: one job in the
 * foreground, through the same Spring Batch job the service runs, but without the HTTP
 * server: an application context with an embedded H2 job repository in the work folder, a
 * progress line while it runs, the results summary and where the files are at the end.
 * Its flags are the API's job fields, in the benchmark's spelling.
 */
final class DistillCommand implements Command {

	static final CommandOptions OPTIONS = CommandOptions
		.command("distill", "runs one PH-Reg job in the foreground, without the service, and prints its results")
		.flag("--teacher", "PATH", "the teacher: a checkpoint file or folder, or demo (required)")
		.flag("--images", "PATH", "a folder or .tar of JPEG/PNG images, or demo (required)")
		.flag("--steps", "N", "optimizer steps, exactly (give --steps or --epochs)")
		.flag("--epochs", "N", "passes over the training images")
		.flag("--registers", "N", "register tokens to add (default " + PaperDefaults.REGISTERS + ")")
		.flag("--unlock", "POLICY", "which weights train: " + Unlock.spellings() + " (default default)")
		.flag("--unlock-patterns", "GLOBS", "comma-separated parameter-name globs for --unlock custom")
		.flag("--views", "N", "test-time views per image (default " + PaperDefaults.VIEWS + ")")
		.flag("--shift", "F",
				"largest shift as a fraction of the patch grid (default " + PaperDefaults.SHIFT_FRACTION + ")")
		.flag("--resolution", "PX", "square crop (default the teacher's native size)")
		.flag("--batch", "N", "images per step (default " + PaperDefaults.BATCH_SIZE + ")")
		.flag("--lr", "RATE", "initial learning rate (default the family's)")
		.flag("--end-lr", "RATE", "final learning rate (default the family's)")
		.flag("--weight-decay", "F", "AdamW's weight decay (default " + PaperDefaults.WEIGHT_DECAY + ")")
		.flag("--seed", "N", "seed of every random choice (default 0)")
		.flag("--device", "DEVICE", "auto, cpu or cuda:N (default auto)")
		.flag("--checkpoint-every", "N", "optimizer steps between checkpoints (default phreg.checkpoint-every)")
		.flag("--export", "FORMATS", "comma-separated export formats (default the teacher's own)")
		.flag("--eval", "N", "held-out images for the evaluation (default up to 8)")
		.flag("--heads", "N", "the teacher's attention heads, when its config does not say (never guessed)")
		.flag("--deterministic", "on|off", "bit-identical weights however the run is interrupted (default off)")
		.flag("--target-cache", "on|off", "computes the teacher's targets once and reuses them (default off)")
		.flag("--teacher-precision", "fp32|bf16|fp16", CommandOptions.TEACHER_PRECISION_HELP)
		.flag("--view-sets", "N",
				"distinct view sets the target cache keeps per image (default " + TargetCacheSettings.DEFAULT_VIEW_SETS
						+ ")")
		.flag("--targets", "tta|test-time-registers|both",
				"where the denoised targets come from (default tta, the paper's shifted views)")
		.flag("--work-dir", "DIR", "job repository and job folder (default a new temporary folder)");

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@Override
	public CommandOptions options(String[] args) {
		return OPTIONS;
	}

	@Override
	public int run(CommandOptions.Parsed arguments, PrintStream out, PrintStream err) {
		Request request = new Request(arguments);
		Path workDir;
		try {
			workDir = request.workDir();
		}
		catch (IOException ex) {
			err.println("phreg distill: cannot create a work folder: " + ex.getMessage());
			return FAILURE;
		}
		try (ConfigurableApplicationContext context = application()
			.run(settings(allowedRoots(request.teacher, request.images), workDir))) {
			JobService jobs = context.getBean(JobService.class);
			DistillSpec spec = request.spec(context.getBean(PhregProperties.class).checkpointEvery());
			JobView job;
			try {
				job = jobs.submit(spec, null);
			}
			catch (InvalidSpecException ex) {
				ex.fieldErrors().forEach((field, problem) -> err.println("phreg distill: " + field + ": " + problem));
				return USAGE;
			}
			out.println("job " + job.id() + " in " + workDir);
			JobView ended = follow(jobs, job.id(), out);
			JobFolders folders = context.getBean(JobFolders.class);
			return report(ended, folders, out, err);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			err.println("phreg distill: interrupted");
			return FAILURE;
		}
	}

	/**
	 * The service's application without its web server, its banner and its start-up
	 * notes.
	 */
	static SpringApplicationBuilder application() {
		return new SpringApplicationBuilder(PhregApplication.class).web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false);
	}

	/**
	 * The settings of that application, as command-line properties so that they win over
	 * {@code application.yml} and the environment: an embedded H2 database and the job
	 * folders in the work folder, permission to read exactly the teacher and the images,
	 * and warnings only.
	 */
	static String[] settings(List<String> allowedRoots, Path workDir) {
		return new String[] { "--phreg.storage-root=" + workDir,
				"--phreg.allowed-roots=" + String.join(",", allowedRoots),
				// application.yml's embedded database, in the work folder.
				"--spring.datasource.url=${phreg.embedded-database-url}", "--logging.level.root=WARN",
				"--logging.level.ai.djl.util.cuda=ERROR",
				// Flyway warns that H2 is newer than the version it was tested with.
				"--logging.level.org.flywaydb.core.internal.database.base.Database=ERROR" };
	}

	/** Prints the phases and the progress until the job ends; returns its last view. */
	static JobView follow(JobService jobs, String jobId, PrintStream out) throws InterruptedException {
		CountDownLatch ended = new CountDownLatch(1);
		ProgressLine progress = new ProgressLine(out, System.console() != null && out == System.out);
		try (AutoCloseable subscription = jobs.subscribe(jobId, (view) -> {
			progress.show(view);
			if (hasEnded(view.state())) {
				ended.countDown();
			}
		})) {
			// The job may have ended before the subscription began.
			if (!hasEnded(jobs.get(jobId).state())) {
				ended.await();
			}
		}
		catch (InterruptedException ex) {
			throw ex;
		}
		catch (Exception ex) {
			throw new IllegalStateException("Closing the subscription failed", ex);
		}
		JobView last = jobs.get(jobId);
		progress.finish(last);
		return last;
	}

	private static boolean hasEnded(JobState state) {
		return state.isTerminal() || state.isRestartable();
	}

	private static int report(JobView job, JobFolders folders, PrintStream out, PrintStream err) {
		if (job.state() != JobState.COMPLETED) {
			err.println("phreg distill: job " + job.id() + " ended " + job.state());
			job.errors().forEach((error) -> err.println("  " + error));
			return FAILURE;
		}
		if (job.skippedImages() > 0) {
			out.println("skipped images: " + job.skippedImages());
			job.skipped().forEach((skipped) -> out.println("  " + skipped.name() + ": " + skipped.reason()));
		}
		Path evaluation = folders.evaluation(job.id());
		if (Files.isRegularFile(evaluation)) {
			try {
				printResults(JSON.readTree(evaluation.toFile()), out);
			}
			catch (RuntimeException ex) {
				err.println("phreg distill: cannot read " + evaluation + ": " + ex.getMessage());
			}
		}
		out.println("report:     " + folders.report(job.id()));
		out.println("pictures:   " + folders.pictures(job.id()));
		out.println("exports:    " + folders.exports(job.id()));
		return SUCCESS;
	}

	/** Teacher against student on the held-out images, one figure a line. */
	static void printResults(JsonNode evaluation, PrintStream out) {
		JsonNode teacher = evaluation.path("teacher");
		JsonNode student = evaluation.path("student");
		out.printf(Locale.ROOT, "results on %d held-out images at %d px, teacher -> student:%n",
				evaluation.path("images").size(), evaluation.path("resolution").asInt());
		out.printf(Locale.ROOT, "  outlier fraction     %8.2f%% -> %.2f%%%n",
				100 * teacher.path("outlierFraction").asDouble(Double.NaN),
				100 * student.path("outlierFraction").asDouble(Double.NaN));
		for (String[] figure : new String[][] { { "max/median norm", "maxToMedianRatio" },
				{ "neighbour cosine", "neighbourCosine" }, { "norm variance", "normVariance" } }) {
			out.printf(Locale.ROOT, "  %-20s %9.4g -> %.4g%n", figure[0], teacher.path(figure[1]).asDouble(Double.NaN),
					student.path(figure[1]).asDouble(Double.NaN));
		}
	}

	/** The folder given, or a new temporary one named with {@code prefix}. */
	static Path workDir(Path given, String prefix) throws IOException {
		if (given == null) {
			return Files.createTempDirectory(prefix);
		}
		return Files.createDirectories(given).toAbsolutePath().normalize();
	}

	/**
	 * The folders a job may read: the teacher's and the images' own (a file's parent),
	 * nothing for the built-in demo inputs.
	 */
	static List<String> allowedRoots(String teacher, String images) {
		List<String> roots = new ArrayList<>();
		for (String input : List.of(teacher, images)) {
			if (!"demo".equals(input)) {
				Path path = Path.of(input).toAbsolutePath().normalize();
				roots.add((Files.isDirectory(path) ? path : path.getParent()).toString());
			}
		}
		return roots;
	}

	/** An input as the spec names it: absolute, or {@code demo}. */
	static String absolute(String input) {
		return "demo".equals(input) ? input : Path.of(input).toAbsolutePath().normalize().toString();
	}

	/** The flags read and checked before anything starts. */
	private static final class Request {

		private final String teacher;

		private final String images;

		private final Integer epochs;

		private final Long steps;

		private final int registers;

		private final Unlock unlock;

		private final List<String> unlockPatterns;

		private final int views;

		private final double shift;

		private final Integer resolution;

		private final int batch;

		private final Double learningRate;

		private final Double endLearningRate;

		private final double weightDecay;

		private final long seed;

		private final String device;

		private final Integer checkpointEvery;

		private final List<CheckpointFormat> exportFormats;

		private final Integer evaluationImages;

		private final Integer heads;

		private final boolean deterministic;

		private final TargetSource targets;

		private final boolean targetCache;

		private final Integer viewSets;

		private final TeacherPrecision teacherPrecision;

		private final Path workDir;

		Request(CommandOptions.Parsed arguments) {
			this.teacher = arguments.text("--teacher");
			this.images = arguments.text("--images");
			if (this.teacher == null || this.images == null) {
				throw new CommandOptions.UsageException("--teacher and --images are required");
			}
			this.epochs = arguments.integer("--epochs");
			this.steps = arguments.longInteger("--steps");
			if ((this.epochs == null) == (this.steps == null)) {
				throw new CommandOptions.UsageException("give exactly one of --steps and --epochs");
			}
			this.registers = arguments.integer("--registers", PaperDefaults.REGISTERS);
			try {
				this.unlock = Unlock.of(arguments.text("--unlock", Unlock.DEFAULT.spelling()));
			}
			catch (IllegalArgumentException ex) {
				throw arguments.invalid("--unlock", "takes " + Unlock.spellings());
			}
			this.unlockPatterns = arguments.list("--unlock-patterns");
			this.views = arguments.integer("--views", PaperDefaults.VIEWS);
			this.shift = arguments.decimal("--shift", PaperDefaults.SHIFT_FRACTION);
			this.resolution = arguments.integer("--resolution");
			this.batch = arguments.integer("--batch", PaperDefaults.BATCH_SIZE);
			this.learningRate = arguments.decimal("--lr");
			this.endLearningRate = arguments.decimal("--end-lr");
			this.weightDecay = arguments.decimal("--weight-decay", PaperDefaults.WEIGHT_DECAY);
			this.seed = arguments.longInteger("--seed", 0);
			this.device = arguments.text("--device", "auto");
			this.checkpointEvery = arguments.integer("--checkpoint-every");
			List<CheckpointFormat> formats = new ArrayList<>();
			for (String format : arguments.list("--export")) {
				try {
					formats.add(CheckpointFormat.valueOf(format.toUpperCase(Locale.ROOT)));
				}
				catch (IllegalArgumentException ex) {
					throw arguments.invalid("--export",
							"takes formats among " + List.of(CheckpointFormat.values()) + ", not '" + format + "'");
				}
			}
			this.exportFormats = formats;
			this.evaluationImages = arguments.integer("--eval");
			this.heads = arguments.integer("--heads");
			this.deterministic = arguments.onOff("--deterministic", false);
			this.targetCache = arguments.onOff("--target-cache", false);
			this.viewSets = arguments.integer("--view-sets");
			this.teacherPrecision = arguments.teacherPrecision("--teacher-precision");
			this.targets = arguments.targets("--targets", TargetSource.TTA);
			this.workDir = arguments.path("--work-dir");
		}

		Path workDir() throws IOException {
			return DistillCommand.workDir(this.workDir, "phreg-distill-");
		}

		DistillSpec spec(int defaultCheckpointEvery) {
			return new DistillSpec(absolute(this.teacher), absolute(this.images), this.registers, this.unlock,
					this.unlockPatterns, this.views, this.shift, this.resolution, this.batch, this.epochs, this.steps,
					this.learningRate, this.endLearningRate, this.weightDecay, this.seed, this.device,
					(this.checkpointEvery != null) ? this.checkpointEvery : defaultCheckpointEvery, this.exportFormats,
					this.evaluationImages, this.heads, this.deterministic, this.targetCache, this.viewSets,
					this.teacherPrecision, this.targets);
		}

	}

}
