package ai.phreg.api;

import java.time.Instant;
import java.util.List;

import ai.phreg.job.DistillSpec;
import ai.phreg.job.JobKind;
import ai.phreg.job.JobPhase;
import ai.phreg.job.JobProgress;
import ai.phreg.job.JobState;
import ai.phreg.job.JobView;
import ai.phreg.job.Unlock;

/** Job views as a job service would return them. */
final class JobViews {

	static final Instant CREATED = Instant.parse("2025-01-02T03:04:05Z");

	private JobViews() {
	}

	static DistillSpec spec() {
		return new DistillSpec("demo", "demo", 16, Unlock.DEFAULT, List.of(), 10, 0.15, null, 8, 1, null, null, null,
				0.01, 0, "auto", 50, List.of(), 8, null, false, null, null);
	}

	static JobView view(String id, JobState state) {
		JobProgress progress = new JobProgress(25, 100, 0, 25.0, 12.5, 0.75f, 0.5f, 0.25f, 1e-4f, 3.5,
				CREATED.plusSeconds(60));
		return new JobView(id, JobKind.DISTILL, state, JobPhase.DISTILL, spec(), null, null, progress, 1, List.of(), 1,
				CREATED, CREATED.plusSeconds(1), null, List.of(), null, null, null);
	}

}
