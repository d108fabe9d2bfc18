package ai.phreg.job;

import java.io.IOException;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.ConvertedCheckpoint;
import ai.phreg.checkpoint.LoadOptions;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.StateDict;
import ai.phreg.storage.PathPolicy;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * A checkpoint file or folder under the allowed roots, in any family
 * {@link CheckpointLoader} reads. Takes every name the sources before it did not.
 */
@Component
@Order(Ordered.LOWEST_PRECEDENCE)
class CheckpointTeacherSource implements TeacherSource {

	private final PathPolicy paths;

	CheckpointTeacherSource(PathPolicy paths) {
		this.paths = paths;
	}

	@Override
	public boolean accepts(String teacher) {
		return true;
	}

	@Override
	public TeacherDescription describe(String teacher, Integer heads) throws IOException {
		try (StateDict dict = StateDict.open(this.paths.resolveTeacher(teacher))) {
			ConvertedCheckpoint converted = CheckpointLoader.convert(dict, LoadOptions.DEFAULTS.withHeads(heads));
			return new TeacherDescription(converted.format(), converted.config(), converted.normalization());
		}
	}

	@Override
	public LoadedModel load(String teacher, Integer heads, NDManager manager) throws IOException {
		return CheckpointLoader.load(this.paths.resolveTeacher(teacher), manager,
				LoadOptions.DEFAULTS.withHeads(heads));
	}

}
