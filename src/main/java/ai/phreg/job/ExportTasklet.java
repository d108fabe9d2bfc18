package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.ExportedCheckpoint;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.ModelCard;
import ai.phreg.checkpoint.safetensors.DType;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import tools.jackson.databind.JsonNode;

/**
 * Writes the student in every format the job resolved to, then the report: what ran, on
 * what, the final progress, the evaluation and every artifact with its SHA-256.
 */
class ExportTasklet extends JobStepTasklet {

	private final JobInputs inputs;

	private final JobOutputs outputs;

	private final JobFolders folders;

	ExportTasklet(String jobId, RunningJobs running, JobInputs inputs, JobOutputs outputs) {
		super(jobId, running);
		this.inputs = inputs;
		this.outputs = outputs;
		this.folders = outputs.folders();
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		PreparedJob job = this.inputs.prepared(this.jobId);
		List<Export> exports = new ArrayList<>();
		try (NDManager manager = this.inputs.newManager(job)) {
			LoadedModel student = CheckpointLoader.load(this.folders.student(this.jobId, job.resolved().family()),
					manager);
			for (CheckpointFormat format : job.resolved().exportFormats()) {
				stopIfRequested();
				ExportedCheckpoint exported = CheckpointExporter.export(student.model(), student.carried(), format,
						this.folders.export(this.jobId, format), DType.F32, Map.of("phreg.job", this.jobId),
						student.normalization());
				if (format == CheckpointFormat.DINOV2_HF) {
					writeModelCard(job, format, exported.location(), student.model().config().numRegisters());
				}
				exports.add(new Export(format, this.folders.artifactName(this.jobId, exported.location()),
						exported.notes()));
			}
		}
		writeReport(job, exports);
		return RepeatStatus.FINISHED;
	}

	/**
	 * The hub's model card, with the job's settings and its evaluation when it has one.
	 */
	private void writeModelCard(PreparedJob job, CheckpointFormat format, Path folder, int registers) throws Exception {
		JsonNode evaluation = this.outputs.readJson(this.folders.evaluation(this.jobId));
		Map<String, Object> settings = new LinkedHashMap<>();
		this.outputs.json()
			.valueToTree(job.resolved().settings())
			.properties()
			.forEach((entry) -> settings.put(entry.getKey(),
					entry.getValue().isValueNode() ? entry.getValue().asString() : entry.getValue().toString()));
		ModelCard.write(folder, job.spec().teacher(), job.resolved().family(), format, registers, settings, evaluation,
				pictures());
	}

	/**
	 * The evaluation's before/after pictures, by name; none when it held no images out.
	 */
	private List<Path> pictures() throws IOException {
		Path folder = this.folders.pictures(this.jobId);
		if (!Files.isDirectory(folder)) {
			return List.of();
		}
		try (Stream<Path> files = Files.list(folder)) {
			return files.filter((file) -> file.getFileName().toString().endsWith(".png")).sorted().toList();
		}
	}

	private void writeReport(PreparedJob job, List<Export> exports) throws Exception {
		Report.write(this.outputs, job, exports);
	}

	/**
	 * One exported format.
	 *
	 * @param format the format
	 * @param location the artifact name of the file or folder
	 * @param notes how the family's own code will run the model differently
	 */
	record Export(CheckpointFormat format, String location, List<String> notes) {
	}

	/**
	 * The report file of a job of either kind: what ran, on what, and what came of it.
	 *
	 * @param job the job id
	 * @param kind what the job did
	 * @param finishedAt when the report was written
	 * @param spec what was asked for
	 * @param resolved what the job resolved it to
	 * @param teacher the teacher's family and checkpoint layout
	 * @param training the final progress, null for an analysis
	 * @param results teacher against student, null without held-out images
	 * @param evaluation the evaluation file, null without held-out images
	 * @param exports the exported formats
	 * @param artifacts every artifact but the training checkpoints
	 * @param history every optimizer step, in order
	 * @param registerNeurons the register neurons found, null when none were searched
	 * @param analysis an analyze job's findings, null for a distillation
	 */
	record Report(String job, JobKind kind, Instant finishedAt, DistillSpec spec, ResolvedJob resolved,
			TeacherFamily teacher, JobProgressHub.Snapshot training, JobResults results, JsonNode evaluation,
			List<Export> exports, List<ArtifactView> artifacts, List<StepRecord> history,
			RegisterNeuronReport registerNeurons, Analysis analysis) {

		/** Writes the report of a job from the files its steps left. */
		static void write(JobOutputs outputs, PreparedJob job, List<Export> exports) throws IOException {
			JobFolders folders = outputs.folders();
			String id = job.id();
			JsonNode evaluation = outputs.readJson(folders.evaluation(id));
			List<ArtifactView> artifacts = folders.artifacts(id)
				.stream()
				.filter((artifact) -> !artifact.name().startsWith("checkpoints/"))
				.toList();
			EvaluateTasklet.Evaluation figures = outputs.evaluation(id);
			Report report = new Report(id, job.spec().kind(), Instant.now(), job.spec(), job.resolved(),
					TeacherFamily.of(job.resolved().family()), outputs.progress().latest(id),
					(figures != null) ? JobResults.of(figures) : null, evaluation, exports, artifacts,
					outputs.progress().history(id), outputs.registerNeurons(id), outputs.analysis(id));
			outputs.writeJson(folders.report(id), report);
		}

	}

}
