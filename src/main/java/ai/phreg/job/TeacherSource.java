package ai.phreg.job;

import java.io.IOException;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;

/**
 * One kind of teacher a job can name: {@link Teachers} asks each source in order whether
 * it takes the name.
 */
interface TeacherSource {

	/** Whether this source provides the teacher a job names {@code teacher}. */
	boolean accepts(String teacher);

	/**
	 * The teacher's family and architecture, cheaply: headers only.
	 * @param heads the head count the user gave, for a checkpoint whose config does not
	 * say; null otherwise
	 */
	TeacherDescription describe(String teacher, Integer heads) throws IOException;

	/** The teacher with its weights, in {@code manager}. */
	LoadedModel load(String teacher, Integer heads, NDManager manager) throws IOException;

}
