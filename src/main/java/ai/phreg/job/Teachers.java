package ai.phreg.job;

import java.io.IOException;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * The teacher a job names, from the first {@link TeacherSource} that takes the name.
 * Loading weights is the expensive part of a job's set-up: it is counted, and each step
 * that needs the teacher loads it once.
 */
@Component
class Teachers {

	private final List<TeacherSource> sources;

	private final Counter loads;

	Teachers(List<TeacherSource> sources, MeterRegistry meters) {
		this.sources = sources;
		this.loads = Counter.builder("phreg.teacher.loads")
			.description("Teachers loaded with their weights by the steps of jobs")
			.register(meters);
	}

	TeacherDescription describe(String teacher, Integer heads) throws IOException {
		return source(teacher).describe(teacher, heads);
	}

	LoadedModel load(String teacher, Integer heads, NDManager manager) throws IOException {
		LoadedModel loaded = source(teacher).load(teacher, heads, manager);
		this.loads.increment();
		return loaded;
	}

	private TeacherSource source(String teacher) {
		return this.sources.stream()
			.filter((source) -> source.accepts(teacher))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("no source of teachers takes " + teacher));
	}

}
