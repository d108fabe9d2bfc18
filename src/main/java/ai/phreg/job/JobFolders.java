package ai.phreg.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.FamilyProfile;

/**
 * The folder of each job under the storage root, and the one place that names what is in
 * it: the resolved job, training checkpoints and progress, the trained student, the
 * evaluation and its pictures, the exports and the report. Artifact names are paths
 * relative to the job folder and can never leave it.
 */
public final class JobFolders {

	private final Path jobsRoot;

	/**
	 * Digests by file and its size and modification time: hashing a multi-GB export once
	 * is enough.
	 */
	private final Map<Path, CachedDigest> digests = new ConcurrentHashMap<>();

	public JobFolders(Path storageRoot) {
		this.jobsRoot = storageRoot.toAbsolutePath().normalize().resolve("jobs");
	}

	/**
	 * The denoised teacher targets of every job, keyed by content (teacher, image, crop,
	 * views), so jobs over the same teacher and images share them; workers of a
	 * scaled-out {@code targets} step write here too.
	 */
	public Path targetCache() {
		return this.jobsRoot.resolveSibling("target-cache");
	}

	public Path folder(String jobId) {
		if (!jobId.matches("[A-Za-z0-9-]+")) {
			throw new IllegalArgumentException("Not a job id: " + jobId);
		}
		return this.jobsRoot.resolve(jobId);
	}

	/** What {@code prepare} resolved, read by the later steps. */
	public Path resolved(String jobId) {
		return folder(jobId).resolve("resolved.json");
	}

	/** Training checkpoints, {@code state-<step>.safetensors}. */
	public Path checkpoints(String jobId) {
		return folder(jobId).resolve("checkpoints");
	}

	/** The latest training progress, written at checkpoints. */
	public Path progress(String jobId) {
		return folder(jobId).resolve("progress.json");
	}

	/**
	 * The trained student in its teacher's format: a file for single-file families, a
	 * folder with its configuration otherwise.
	 */
	public Path student(String jobId, CheckpointFormat format) {
		Path folder = folder(jobId).resolve("student");
		return FamilyProfile.of(format).isSingleFile() ? folder.resolve("student.safetensors") : folder;
	}

	/** The artifact figures of teacher and student on the held-out images. */
	public Path evaluation(String jobId) {
		return folder(jobId).resolve("evaluation.json");
	}

	/**
	 * The register neurons the job found: an analyze job's search, or the one of a
	 * distillation with test-time registers.
	 */
	public Path neurons(String jobId) {
		return folder(jobId).resolve("neurons.json");
	}

	/** An analyze job's findings: the neurons, and teacher against each fix. */
	public Path analysis(String jobId) {
		return folder(jobId).resolve("analysis.json");
	}

	public Path pictures(String jobId) {
		return folder(jobId).resolve("pictures");
	}

	/** Where the student is exported as {@code format}. */
	public Path export(String jobId, CheckpointFormat format) {
		Path folder = exports(jobId).resolve(format.name());
		return FamilyProfile.of(format).isSingleFile() ? folder.resolve("model.safetensors") : folder;
	}

	public Path exports(String jobId) {
		return folder(jobId).resolve("export");
	}

	public Path report(String jobId) {
		return folder(jobId).resolve("report.json");
	}

	/** A path of the job folder as an artifact name. */
	public String artifactName(String jobId, Path file) {
		return folder(jobId).relativize(file).toString().replace('\\', '/');
	}

	/**
	 * The file of artifact {@code name}, or null when the name is not a plain relative
	 * path inside the job folder or names no regular file.
	 */
	public Path artifact(String jobId, String name) {
		if (name.isEmpty() || name.indexOf('\0') >= 0 || name.contains("\\") || name.startsWith("/")) {
			return null;
		}
		Path folder = folder(jobId);
		Path file = folder.resolve(name).normalize();
		if (!file.startsWith(folder) || !Files.isRegularFile(file)) {
			return null;
		}
		try {
			// A symlink inside the folder must not lead out of it either.
			return file.toRealPath().startsWith(folder.toRealPath()) ? file : null;
		}
		catch (IOException ex) {
			return null;
		}
	}

	/** Every regular file of the job folder with size and SHA-256, sorted by name. */
	public List<ArtifactView> artifacts(String jobId) throws IOException {
		Path folder = folder(jobId);
		if (!Files.isDirectory(folder)) {
			return List.of();
		}
		List<ArtifactView> artifacts = new ArrayList<>();
		try (Stream<Path> walk = Files.walk(folder)) {
			for (Path file : walk.filter(Files::isRegularFile)
				.filter((f) -> !f.getFileName().toString().endsWith(".tmp"))
				.sorted()
				.toList()) {
				String name = artifactName(jobId, file);
				artifacts.add(new ArtifactView(name, Files.size(file), sha256(file)));
			}
		}
		return artifacts;
	}

	/** The hex SHA-256 of a file, computed once per size and modification time. */
	public String sha256(Path file) throws IOException {
		long size = Files.size(file);
		long modified = Files.getLastModifiedTime(file).toMillis();
		CachedDigest cached = this.digests.get(file);
		if (cached != null && cached.size == size && cached.modified == modified) {
			return cached.hex;
		}
		MessageDigest digest;
		try {
			digest = MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every Java runtime has SHA-256", ex);
		}
		try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
			in.transferTo(OutputStream.nullOutputStream());
		}
		String hex = HexFormat.of().formatHex(digest.digest());
		this.digests.put(file, new CachedDigest(size, modified, hex));
		return hex;
	}

	private record CachedDigest(long size, long modified, String hex) {
	}

}
