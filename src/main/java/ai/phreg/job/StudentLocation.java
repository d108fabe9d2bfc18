package ai.phreg.job;

import java.nio.file.Path;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.storage.JobFolders;

/** Where a job keeps its trained student, in the teacher's own format. */
final class StudentLocation {

	private StudentLocation() {
	}

	/**
	 * The hub format is a single file; the others are folders with their configuration.
	 */
	static Path of(JobFolders folders, String jobId, CheckpointFormat format) {
		Path folder = folders.student(jobId);
		return (format == CheckpointFormat.DINOV2_HUB) ? folder.resolve("student.safetensors") : folder;
	}

}
