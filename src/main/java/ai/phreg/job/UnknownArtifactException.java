package ai.phreg.job;

/** No artifact of that name in the job's folder, or a name that tries to leave it. */
public class UnknownArtifactException extends RuntimeException {

	public UnknownArtifactException(String id, String name) {
		super("Job " + id + " has no artifact '" + name + "'");
	}

}
