package ai.phreg.job;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import ai.phreg.distill.ArtifactEvaluation;
import ai.phreg.distill.ArtifactEvaluation.Source;
import ai.phreg.distill.DenseFeatures;
import ai.phreg.distill.TargetSource;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.model.ForwardHooks;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * An analyze job's comparison, on its first images: the teacher's plain features beside
 * the three ways to take its artifacts out at test time (the paper's denoised views, one
 * pass with test-time registers on the neurons found, and the views through that
 * teacher), each measured at the teacher's outlier threshold and timed, and one picture
 * per image of every source's norms on one colour scale. Writes the job's
 * {@code analysis.json}.
 */
class CompareTasklet extends JobStepTasklet {

	static final String TEACHER = "teacher";

	private final JobInputs inputs;

	private final JobOutputs outputs;

	CompareTasklet(String jobId, RunningJobs running, JobInputs inputs, JobOutputs outputs) {
		super(jobId, running);
		this.inputs = inputs;
		this.outputs = outputs;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		PreparedJob job = this.inputs.prepared(this.jobId);
		ResolvedJob resolved = job.resolved();
		AnalysisSettings settings = resolved.analysis();
		JobFolders folders = this.outputs.folders();
		RegisterNeuronReport neurons = this.outputs.registerNeurons(this.jobId);
		if (neurons == null) {
			throw new IllegalStateException("Job " + this.jobId + " has no register neurons to compare with");
		}
		int measured = resolved.evaluationImages();
		ArtifactEvaluation.Comparison comparison = withTeacher(this.inputs, job, (teacher, manager) -> {
			ForwardHooks registers = new TestTimeRegisters(neurons.neurons(), settings.testTimeRegisterTokens())
				.hooks();
			DenseFeatures plain = DenseFeatures.ofTeacher(teacher, ForwardHooks.NONE);
			DenseFeatures intervened = DenseFeatures.ofTeacher(teacher, registers);
			List<Source> sources = List.of(Source.plain(TEACHER, plain),
					Source.denoised(TargetSource.TTA.label(), plain),
					Source.plain(TargetSource.TEST_TIME_REGISTERS.label(), intervened),
					Source.denoised(TargetSource.BOTH.label(), intervened));
			return new ArtifactEvaluation(settings.resolution(), resolved.config().patchSize(),
					resolved.normalization(), settings.views(), settings.shiftFraction(), settings.seed())
				.compare(sources, 1, this.inputs.images(job), IntStream.range(0, measured).boxed().toList(), manager,
						measured, this::isStopRequested);
		});
		List<Analysis.Source> figures = new ArrayList<>();
		for (int s = 0; s < comparison.sources().size(); s++) {
			figures.add(new Analysis.Source(comparison.sources().get(s), comparison.passesPerImage().get(s),
					comparison.secondsPerImage().get(s), comparison.summaries().get(s)));
		}
		List<Analysis.Picture> pictures = comparison.writeNormPictures(folders.pictures(this.jobId))
			.stream()
			.map((picture) -> new Analysis.Picture(picture.image(), folders.artifactName(this.jobId, picture.file()),
					picture.scale().min(), picture.scale().max(), picture.maxNorms()))
			.toList();
		Analysis analysis = new Analysis(comparison.images(), settings.resolution(), neurons.search(),
				neurons.neurons(), NeuronsTasklet.neuronsPerLayer(neurons),
				folders.artifactName(this.jobId, folders.pictures(this.jobId).resolve(NeuronsTasklet.NEURON_PICTURE)),
				figures, pictures);
		this.outputs.writeJson(folders.analysis(this.jobId), analysis);
		this.outputs.progress().skippedInEvaluation(this.jobId, comparison.skipped());
		return RepeatStatus.FINISHED;
	}

}
