package ai.phreg.job;

import java.util.Map;

/**
 * A further check of a job before it runs, made by the {@code validate} step once the
 * teacher's architecture and the image count are known: the place for checks too costly
 * for the request thread, such as ones that read every image. Beans of this type are
 * picked up by {@link SpecChecks}.
 */
interface JobCheck {

	/**
	 * One message per spec field the user has to change, empty when the job can run.
	 */
	Map<String, String> problems(DistillSpec spec, TeacherDescription teacher, int images);

}
