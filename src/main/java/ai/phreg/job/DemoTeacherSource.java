package ai.phreg.job;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.image.Normalization;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * {@code "teacher": "demo"}: the built-in synthetic demo teacher, built from its seed, no
 * file involved.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class DemoTeacherSource implements TeacherSource {

	static final String NAME = "demo";

	@Override
	public boolean accepts(String teacher) {
		return NAME.equals(teacher);
	}

	@Override
	public TeacherDescription describe(String teacher, Integer heads) {
		return new TeacherDescription(CheckpointFormat.DINOV2_HUB, DemoTeacher.config(), Normalization.IMAGENET);
	}

	@Override
	public LoadedModel load(String teacher, Integer heads, NDManager manager) {
		return DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).asTeacher();
	}

}
