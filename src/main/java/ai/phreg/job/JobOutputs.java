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

	/** The JSON document in {@code file}, or null when there is none. */
	JsonNode readJson(Path file) throws IOException {
		return Files.isRegularFile(file) ? this.json.readTree(Files.readString(file)) : null;
	}

}
