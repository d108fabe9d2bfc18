package ai.phreg.job;

/** No job has this id. */
public class UnknownJobException extends RuntimeException {

	public UnknownJobException(String id) {
		super("No job " + id);
	}

}
