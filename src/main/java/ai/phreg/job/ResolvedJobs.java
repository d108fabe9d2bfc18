package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** The {@link ResolvedJob} of each prepared job, as JSON in its folder. */
@Component
class ResolvedJobs {

	private final JobFolders folders;

	private final JsonMapper json;

	ResolvedJobs(JobFolders folders, JsonMapper json) {
		this.folders = folders;
		this.json = json;
	}

	/** Writes atomically: a reader sees the previous resolution or this one. */
	void write(String jobId, ResolvedJob job) throws IOException {
		Path file = this.folders.resolved(jobId);
		Files.createDirectories(file.getParent());
		Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
		Files.writeString(temporary, this.json.writerWithDefaultPrettyPrinter().writeValueAsString(job));
		Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	/** The resolution of a job past {@code prepare}. */
	ResolvedJob read(String jobId) throws IOException {
		return this.json.readValue(Files.readString(this.folders.resolved(jobId)), ResolvedJob.class);
	}

	/** The resolution, if the job was prepared. */
	Optional<ResolvedJob> find(String jobId) {
		try {
			return Files.isRegularFile(this.folders.resolved(jobId)) ? Optional.of(read(jobId)) : Optional.empty();
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

}
