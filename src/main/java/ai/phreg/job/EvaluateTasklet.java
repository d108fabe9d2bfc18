package ai.phreg.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.ArtifactEvaluation;
import ai.phreg.distill.DenseFeatures;
import ai.phreg.distill.DistillSettings;
import ai.phreg.imagesource.ImageSubset;
import ai.phreg.metrics.ArtifactMetrics;
import ai.phreg.metrics.ArtifactSummary;
import ai.phreg.metrics.ColourScale;
import ai.phreg.metrics.PatchGrid;
import ai.phreg.metrics.TokenNorms;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * Teacher against student on the held-out images: artifact figures of both (student at
 * the teacher's outlier threshold) to the job's evaluation file, before/after pictures to
 * its pictures folder.
 */
class EvaluateTasklet extends JobStepTasklet {

	private static final int PICTURES = 4;

	private final JobInputs inputs;

	private final JobOutputs outputs;

	EvaluateTasklet(String jobId, RunningJobs running, JobInputs inputs, JobOutputs outputs) {
		super(jobId, running);
		this.inputs = inputs;
		this.outputs = outputs;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		PreparedJob job = this.inputs.prepared(this.jobId);
		ResolvedJob resolved = job.resolved();
		if (resolved.evaluationImages() == 0) {
			return RepeatStatus.FINISHED;
		}
		ImageSubset evaluation = this.inputs.split(job).evaluation();
		JobFolders folders = this.outputs.folders();
		DistillSettings settings = resolved.settings();
		int resolution = settings.resolution();
		ArtifactEvaluation.Result result = withTeacher(this.inputs, job, (teacher, manager) -> {
			LoadedModel student = CheckpointLoader.load(folders.student(this.jobId, resolved.family()), manager);
			stopIfRequested();
			return new ArtifactEvaluation(resolution, resolved.config().patchSize(), resolved.normalization(),
					settings.views(), settings.shiftFraction(), settings.seed())
				.evaluate(DenseFeatures.patchTokens(teacher.model()), DenseFeatures.patchTokens(student.model()),
						evaluation, evaluation.all(), manager, folders.pictures(this.jobId), PICTURES,
						this::isStopRequested);
		});
		Evaluation figures = new Evaluation(evaluation.all().stream().map(evaluation::name).toList(), resolution,
				result.teacher(), result.student(), result.skipped(), pictures(result));
		this.outputs.writeJson(folders.evaluation(this.jobId), figures);
		this.outputs.progress().skippedInEvaluation(this.jobId, result.skipped());
		return RepeatStatus.FINISHED;
	}

	/**
	 * The numbers behind each picture: its norm maps share one colour scale, which a
	 * reader needs to tell a norm from a colour.
	 */
	private List<Picture> pictures(ArtifactEvaluation.Result result) {
		List<Picture> pictures = new ArrayList<>();
		for (int i = 0; i < result.pictures().size(); i++) {
			PatchGrid teacher = TokenNorms.of(result.teacherFeatures().get(i));
			PatchGrid student = TokenNorms.of(result.studentFeatures().get(i));
			ColourScale scale = ColourScale.spanning(teacher, student);
			pictures
				.add(new Picture(this.outputs.folders().artifactName(this.jobId, result.pictures().get(i)), scale.min(),
						scale.max(), ArtifactMetrics.median(teacher.values()), ArtifactMetrics.max(teacher.values()),
						ArtifactMetrics.median(student.values()), ArtifactMetrics.max(student.values())));
		}
		return pictures;
	}

	/**
	 * One before/after picture: input, teacher and student norm maps on one colour scale
	 * (viridis, from {@code normMin} to {@code normMax}), teacher and student PCA maps.
	 *
	 * @param artifact the picture's artifact name
	 * @param normMin the norm drawn in the scale's first colour
	 * @param normMax the norm drawn in its last colour
	 * @param teacherMedianNorm the teacher's median patch-token norm on this image
	 * @param teacherMaxNorm the teacher's largest patch-token norm on this image
	 * @param studentMedianNorm the student's median patch-token norm on this image
	 * @param studentMaxNorm the student's largest patch-token norm on this image
	 */
	record Picture(String artifact, double normMin, double normMax, double teacherMedianNorm, double teacherMaxNorm,
			double studentMedianNorm, double studentMaxNorm) {
	}

	/**
	 * The evaluation file.
	 *
	 * @param images the held-out images, by name
	 * @param resolution the crop they were measured at
	 * @param teacher the teacher's figures
	 * @param student the student's figures at the teacher's outlier threshold
	 * @param skippedImages images that could not be read, with the reason
	 * @param pictures the before/after pictures of the first images read
	 */
	record Evaluation(List<String> images, int resolution, ArtifactSummary teacher, ArtifactSummary student,
			Map<String, String> skippedImages, List<Picture> pictures) {

		Evaluation {
			// Evaluations written before pictures were described have none.
			pictures = (pictures != null) ? List.copyOf(pictures) : List.of();
		}

	}

}
