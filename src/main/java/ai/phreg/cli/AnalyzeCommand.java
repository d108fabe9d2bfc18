package ai.phreg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import ai.phreg.distill.PaperDefaults;
import ai.phreg.distill.registers.RegisterNeuron;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.job.Analysis;
import ai.phreg.job.DistillSpec;
import ai.phreg.job.InvalidSpecException;
import ai.phreg.job.JobFolders;
import ai.phreg.job.JobKind;
import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import ai.phreg.job.JobView;
import ai.phreg.job.NeuronSearchOptions;
import ai.phreg.job.Unlock;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code phreg analyze --teacher PATH --images PATH [flags]}: one analyze job in the
 * foreground, as {@code phreg distill} runs a distillation: the register neurons found,
 * then the teacher beside test-time augmentation, test-time registers and both, one
 * source a line.
 */
final class AnalyzeCommand implements Command {

	static final CommandOptions OPTIONS = CommandOptions
		.command("analyze",
				"finds a teacher's register neurons and compares its artifacts with the test-time fixes, "
						+ "without training")
		.flag("--teacher", "PATH", "the teacher: a checkpoint file or folder, or demo (required)")
		.flag("--images", "PATH", "a folder or .tar of JPEG/PNG images, or demo (required)")
		.flag("--views", "N", "test-time views per image (default " + PaperDefaults.VIEWS + ")")
		.flag("--shift", "F",
				"largest shift as a fraction of the patch grid (default " + PaperDefaults.SHIFT_FRACTION + ")")
		.flag("--resolution", "PX", "square crop (default the teacher's native size)")
		.flag("--seed", "N", "seed of the views drawn (default 0)")
		.flag("--device", "DEVICE", "auto, cpu or cuda:N (default auto)")
		.flag("--eval", "N", "images measured and pictured (default up to " + PaperDefaults.HELD_OUT_IMAGES + ")")
		.flag("--heads", "N", "the teacher's attention heads, when its config does not say (never guessed)")
		.flag("--outlier-layer", "N",
				"block whose output norms mark the outliers, negative from the end " + "(default the family's)")
		.flag("--norm-threshold", "F", "outlier norm threshold (default the family's, or the histogram's valley)")
		.flag("--top-neurons", "N", "register neurons kept (default the family's)")
		.flag("--highest-layer", "N", "last block searched (default the family's)")
		.flag("--neuron-images", "N", "images searched at most (default " + RegisterNeuronSearch.DEFAULT_IMAGES + ")")
		.flag("--ttr-tokens", "N",
				"extra tokens of the test-time registers (default " + TestTimeRegisters.DEFAULT_TOKENS + ")")
		.flag("--work-dir", "DIR", "job repository and job folder (default a new temporary folder)");

	@Override
	public CommandOptions options(String[] args) {
		return OPTIONS;
	}

	@Override
	public int run(CommandOptions.Parsed arguments, PrintStream out, PrintStream err) {
		String teacher = arguments.text("--teacher");
		String images = arguments.text("--images");
		if (teacher == null || images == null) {
			throw new CommandOptions.UsageException("--teacher and --images are required");
		}
		Path workDir;
		try {
			workDir = DistillCommand.workDir(arguments.path("--work-dir"), "phreg-analyze-");
		}
		catch (IOException ex) {
			err.println("phreg analyze: cannot create a work folder: " + ex.getMessage());
			return FAILURE;
		}
		DistillSpec spec = spec(arguments, teacher, images);
		try (ConfigurableApplicationContext context = DistillCommand.application()
			.run(DistillCommand.settings(DistillCommand.allowedRoots(teacher, images), workDir))) {
			JobService jobs = context.getBean(JobService.class);
			JobView job;
			try {
				job = jobs.submit(spec, null);
			}
			catch (InvalidSpecException ex) {
				ex.fieldErrors().forEach((field, problem) -> err.println("phreg analyze: " + field + ": " + problem));
				return USAGE;
			}
			out.println("job " + job.id() + " in " + workDir);
			JobView ended = DistillCommand.follow(jobs, job.id(), out);
			if (ended.state() != JobState.COMPLETED || ended.analysis() == null) {
				err.println("phreg analyze: job " + ended.id() + " ended " + ended.state());
				ended.errors().forEach((error) -> err.println("  " + error));
				return FAILURE;
			}
			printAnalysis(ended.analysis(), out);
			JobFolders folders = context.getBean(JobFolders.class);
			out.println("analysis:   " + folders.analysis(ended.id()));
			out.println("pictures:   " + folders.pictures(ended.id()));
			return SUCCESS;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			err.println("phreg analyze: interrupted");
			return FAILURE;
		}
	}

	/** An analyze job's spec: the training fields at their defaults, which it ignores. */
	private static DistillSpec spec(CommandOptions.Parsed arguments, String teacher, String images) {
		NeuronSearchOptions search = new NeuronSearchOptions(arguments.integer("--outlier-layer"),
				arguments.decimal("--norm-threshold"), arguments.integer("--top-neurons"),
				arguments.integer("--highest-layer"), arguments.integer("--neuron-images"),
				arguments.integer("--ttr-tokens"));
		return new DistillSpec(DistillCommand.absolute(teacher), DistillCommand.absolute(images),
				PaperDefaults.REGISTERS, Unlock.DEFAULT, List.of(), arguments.integer("--views", PaperDefaults.VIEWS),
				arguments.decimal("--shift", PaperDefaults.SHIFT_FRACTION), arguments.integer("--resolution"),
				PaperDefaults.BATCH_SIZE, null, null, null, null, PaperDefaults.WEIGHT_DECAY,
				arguments.longInteger("--seed", 0), arguments.text("--device", "auto"), 1, List.of(),
				arguments.integer("--eval"), arguments.integer("--heads"), false, false, null, null, null,
				JobKind.ANALYZE, search);
	}

	/** The neurons found, then one line per source. */
	static void printAnalysis(Analysis analysis, PrintStream out) {
		Analysis.NeuronSearch search = analysis.search();
		out.printf(Locale.ROOT,
				"%d register neurons of blocks 0-%d, outliers above %s (%s) at block %d, on %d of %d images:%n",
				analysis.neurons().size(), search.highestLayer(),
				(search.normThreshold() != null) ? String.format(Locale.ROOT, "%.4g", search.normThreshold()) : "none",
				search.thresholdSource(), search.outlierLayer(), search.imagesWithOutliers(), search.imagesScanned());
		out.println("  block  neuron     score");
		for (RegisterNeuron neuron : analysis.neurons()) {
			out.printf(Locale.ROOT, "  %5d  %6d  %8.4g%n", neuron.layer(), neuron.neuron(), neuron.score());
		}
		out.println("  per block: " + analysis.neuronsPerLayer()
			.stream()
			.map((layer) -> layer.layer() + ": " + layer.count())
			.collect(Collectors.joining(", ")));
		out.printf(Locale.ROOT, "on %d images at %d px, at the teacher's outlier threshold:%n",
				analysis.images().size(), analysis.resolution());
		out.println("  source                passes  s/image  outliers  max/median  neighbour cos");
		for (Analysis.Source source : analysis.sources()) {
			out.printf(Locale.ROOT, "  %-20s %7d %8.3f %8.2f%% %11.2f %14.4f%n", source.source(),
					source.passesPerImage(), source.teacherSecondsPerImage(), 100 * source.summary().outlierFraction(),
					source.summary().maxToMedianRatio(), source.summary().neighbourCosine());
		}
	}

}
