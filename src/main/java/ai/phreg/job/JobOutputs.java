package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the steps of a job write: files in its folder, JSON documents among them, and its
 * progress.
 *
 * @param folders the job folders and the names in them
 * @param progress the jobs' progress
 * @param json how documents are written
 */
@Component
record JobOutputs(JobFolders folders, JobProgressHub progress, JsonMapper json) {

	/** Writes {@code value} as indented JSON. */
	void writeJson(Path file, Object value) throws IOException {
		Files.createDirectories(file.getParent());
		Files.writeString(file, this.json.writerWithDefaultPrettyPrinter().writeValueAsString(value));
	}

	/**
	 * The evaluation of a job, or null before it was evaluated (or when its file cannot
	 * be read).
	 */
	EvaluateTasklet.Evaluation evaluation(String jobId) {
		return read(this.folders.evaluation(jobId), EvaluateTasklet.Evaluation.class);
	}

	/** The register neurons a job found, or null before it found them. */
	RegisterNeuronReport registerNeurons(String jobId) {
		return read(this.folders.neurons(jobId), RegisterNeuronReport.class);
	}

	/** An analyze job's findings, or null before they were written. */
	Analysis analysis(String jobId) {
		return read(this.folders.analysis(jobId), Analysis.class);
	}

	/** The document in {@code file}, or null when there is none or it cannot be read. */
	private <T> T read(Path file, Class<T> type) {
		if (!Files.isRegularFile(file)) {
			return null;
		}
		try {
			return this.json.readValue(Files.readString(file), type);
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	/** The JSON document in {@code file}, or null when there is none. */
	JsonNode readJson(Path file) throws IOException {
		return Files.isRegularFile(file) ? this.json.readTree(Files.readString(file)) : null;
	}

}
