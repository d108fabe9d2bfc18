package ai.phreg.job;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import ai.phreg.distill.TargetTeacher;
import ai.phreg.distill.registers.RegisterNeuron;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.RegisterNeurons;
import ai.phreg.image.Preprocessing;
import ai.phreg.metrics.Panel;
import ai.phreg.metrics.Pictures;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The search for the teacher's register neurons: an analyze job's, on up to all of its
 * images with the search it asked for, or the one a distillation with test-time registers
 * makes on its training images (nothing for other distillations). The neurons go to the
 * job's {@code neurons.json}, which the later steps read (so the targets step, each of
 * its partitions, the training and a restart past this step never search again), and a
 * bar chart of how many each block holds.
 */
class NeuronsTasklet extends JobStepTasklet {

	static final String NEURON_PICTURE = "neurons-per-layer.png";

	private static final int BAR_WIDTH = 36;

	private static final int BAR_HEIGHT = 120;

	private final JobInputs inputs;

	private final JobOutputs outputs;

	NeuronsTasklet(String jobId, RunningJobs running, JobInputs inputs, JobOutputs outputs) {
		super(jobId, running);
		this.inputs = inputs;
		this.outputs = outputs;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		PreparedJob job = this.inputs.prepared(this.jobId);
		ResolvedJob resolved = job.resolved();
		AnalysisSettings analysis = resolved.analysis();
		if (analysis == null && !resolved.settings().targets().usesTestTimeRegisters()) {
			return RepeatStatus.FINISHED;
		}
		RegisterNeuronSearch search = (analysis != null) ? analysis.search()
				: RegisterNeuronSearch.defaults(resolved.family(), resolved.config());
		RegisterNeurons.Found found = withTeacher(this.inputs, job,
				(teacher, manager) -> (analysis != null)
						? RegisterNeurons.find(teacher.model(),
								Preprocessing.square(analysis.resolution(), teacher.normalization()),
								this.inputs.images(job), search, manager, this::isStopRequested)
						: TargetTeacher.findRegisterNeurons(resolved.settings(), teacher,
								this.inputs.split(job).training(), manager, this::isStopRequested));
		int depth = resolved.config().depth();
		RegisterNeuronReport report = RegisterNeuronReport.of(search, found, depth);
		writePicture(neuronsPerLayer(report));
		this.outputs.writeJson(this.outputs.folders().neurons(this.jobId), report);
		return RepeatStatus.FINISHED;
	}

	/**
	 * The neurons of every block up to the highest searched, none where it holds none.
	 */
	static List<Analysis.LayerCount> neuronsPerLayer(RegisterNeuronReport report) {
		int[] counts = new int[report.search().highestLayer() + 1];
		for (RegisterNeuron neuron : report.neurons()) {
			counts[neuron.layer()]++;
		}
		List<Analysis.LayerCount> perLayer = new ArrayList<>();
		for (int layer = 0; layer < counts.length; layer++) {
			perLayer.add(new Analysis.LayerCount(layer, counts[layer]));
		}
		return perLayer;
	}

	private void writePicture(List<Analysis.LayerCount> perLayer) throws IOException {
		int most = perLayer.stream().mapToInt(Analysis.LayerCount::count).max().orElse(0);
		List<Panel> bars = new ArrayList<>();
		for (Analysis.LayerCount layer : perLayer) {
			BufferedImage bar = Pictures.bar((most > 0) ? (double) layer.count() / most : 0, BAR_WIDTH, BAR_HEIGHT);
			bars.add(new Panel("block " + layer.layer() + ": " + layer.count(), bar));
		}
		JobFolders folders = this.outputs.folders();
		Files.createDirectories(folders.pictures(this.jobId));
		Pictures.writePng(Pictures.sideBySide(bars), folders.pictures(this.jobId).resolve(NEURON_PICTURE));
	}

}
