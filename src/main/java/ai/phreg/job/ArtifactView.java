package ai.phreg.job;

/**
 * A file a job produced, named relative to the job's folder.
 *
 * @param name the relative path, such as {@code export/DINOV2_HF/model.safetensors}
 * @param size bytes
 * @param sha256 hex digest of the content
 */
public record ArtifactView(String name, long size, String sha256) {
}
