package ai.phreg.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.ExportedCheckpoint;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.storage.JobFolders;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.batch.core.scope.context.ChunkContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the student in every requested format (the teacher's own by default) under
 * {@code export/<FORMAT>/}, then {@code report.json}: what ran, on what, the final
 * progress, the evaluation and every artifact with its SHA-256.
 */
class ExportTasklet implements Tasklet {

	private final JobRecords records;

	private final RunningJobs running;

	private final JobInputs inputs;

	private final JobFolders folders;

	private final JobProgressHub progress;

	private final JsonMapper json;

	ExportTasklet(JobRecords records, RunningJobs running, JobInputs inputs, JobFolders folders,
			JobProgressHub progress, JsonMapper json) {
		this.records = records;
		this.running = running;
		this.inputs = inputs;
		this.folders = folders;
		this.progress = progress;
		this.json = json;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		this.running.stopIfRequested(chunkContext.getStepContext().getStepExecution());
		String jobId = JobIds.of(chunkContext);
		DistillSpec spec = this.records.spec(jobId);
		ExecutionContext job = chunkContext.getStepContext().getStepExecution().getJobExecution().getExecutionContext();
		CheckpointFormat teacherFormat = CheckpointFormat.valueOf(job.getString("teacher.format"));
		List<CheckpointFormat> formats = spec.exportFormats().isEmpty() ? List.of(teacherFormat)
				: spec.exportFormats().stream().map(CheckpointFormat::valueOf).toList();
		List<Map<String, Object>> exports = new ArrayList<>();
		try (NDManager manager = NDManager.newBaseManager(this.inputs.device(spec))) {
			LoadedModel student = CheckpointLoader.load(StudentLocation.of(this.folders, jobId, teacherFormat),
					manager);
			for (CheckpointFormat format : formats) {
				Path target = this.folders.exports(jobId).resolve(format.name());
				if (format == CheckpointFormat.DINOV2_HUB) {
					target = target.resolve("model.safetensors");
				}
				ExportedCheckpoint exported = CheckpointExporter.export(student.model(), format, target, DType.F32,
						Map.of("phreg.job", jobId), student.normalization());
				Map<String, Object> entry = new LinkedHashMap<>();
				entry.put("format", format.name());
				entry.put("location", this.folders.folder(jobId).relativize(exported.location()).toString());
				entry.put("notes", exported.notes());
				exports.add(entry);
			}
		}
		writeReport(jobId, spec, job, exports);
		return RepeatStatus.FINISHED;
	}

	private void writeReport(String jobId, DistillSpec spec, ExecutionContext job, List<Map<String, Object>> exports)
			throws Exception {
		Map<String, Object> report = new LinkedHashMap<>();
		report.put("job", jobId);
		report.put("finishedAt", Instant.now().toString());
		report.put("spec", spec);
		Map<String, Object> teacher = new LinkedHashMap<>();
		teacher.put("format", job.getString("teacher.format"));
		teacher.put("config", job.getString("teacher.config"));
		teacher.put("parameters", job.getLong("teacher.parameters"));
		report.put("teacher", teacher);
		report.put("settings", job.getString("settings"));
		report.put("images",
				Map.of("training", job.getInt("images.training"), "evaluation", job.getInt("images.evaluation")));
		JobProgressHub.Snapshot last = this.progress.latest(jobId);
		report.put("training", last);
		Path evaluation = this.folders.folder(jobId).resolve("evaluation.json");
		if (Files.isRegularFile(evaluation)) {
			report.put("evaluation", this.json.readValue(Files.readString(evaluation), JsonNode.class));
		}
		report.put("exports", exports);
		report.put("artifacts",
				this.folders.artifacts(jobId)
					.stream()
					.filter((artifact) -> !artifact.name().startsWith("checkpoints/"))
					.toList());
		Path file = this.folders.report(jobId);
		Files.writeString(file, this.json.writerWithDefaultPrettyPrinter().writeValueAsString(report));
	}

}
