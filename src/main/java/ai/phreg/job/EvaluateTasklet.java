package ai.phreg.job;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.ArtifactEvaluation;
import ai.phreg.distill.DenseFeatures;
import ai.phreg.distill.ImageSubset;
import ai.phreg.storage.JobFolders;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.batch.core.scope.context.ChunkContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * Teacher against student on the held-out images: artifact figures of both (student at
 * the teacher's outlier threshold) to {@code evaluation.json}, before/after pictures to
 * {@code pictures/}.
 */
class EvaluateTasklet implements Tasklet {

	private static final int PICTURES = 4;

	private final JobRecords records;

	private final RunningJobs running;

	private final JobInputs inputs;

	private final JobFolders folders;

	private final JsonMapper json;

	private final JobProgressHub progress;

	EvaluateTasklet(JobRecords records, RunningJobs running, JobInputs inputs, JobFolders folders, JsonMapper json,
			JobProgressHub progress) {
		this.records = records;
		this.running = running;
		this.inputs = inputs;
		this.folders = folders;
		this.json = json;
		this.progress = progress;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		this.running.stopIfRequested(chunkContext.getStepContext().getStepExecution());
		String jobId = JobIds.of(chunkContext);
		DistillSpec spec = this.records.spec(jobId);
		if (spec.evaluationImages() == 0) {
			return RepeatStatus.FINISHED;
		}
		try (NDManager manager = NDManager.newBaseManager(this.inputs.device(spec))) {
			LoadedModel teacher = this.inputs.teacher(spec, manager);
			LoadedModel student = CheckpointLoader.load(StudentLocation.of(this.folders, jobId, teacher.format()),
					manager);
			ImageSubset.Split split = this.inputs.split(spec, this.inputs.images(spec));
			int resolution = this.inputs.settings(spec, teacher, split.training()).resolution();
			ArtifactEvaluation evaluation = new ArtifactEvaluation(resolution, teacher.model().config().patchSize(),
					teacher.normalization(), spec.views(), spec.shiftFraction(), spec.seed());
			ArtifactEvaluation.Result result = evaluation.evaluate(DenseFeatures.patchTokens(teacher.model()),
					DenseFeatures.patchTokens(student.model()), split.evaluation(), split.evaluation().all(), manager,
					this.folders.pictures(jobId), PICTURES);
			Map<String, Object> figures = new LinkedHashMap<>();
			figures.put("images", split.evaluation().all().stream().map(split.evaluation()::name).toList());
			figures.put("resolution", resolution);
			figures.put("teacher", result.teacher());
			figures.put("student", result.student());
			figures.put("skippedImages", result.skipped());
			Files.writeString(this.folders.folder(jobId).resolve("evaluation.json"),
					this.json.writerWithDefaultPrettyPrinter().writeValueAsString(figures));
			this.progress.skippedInEvaluation(jobId, result.skipped().size());
		}
		return RepeatStatus.FINISHED;
	}

}
