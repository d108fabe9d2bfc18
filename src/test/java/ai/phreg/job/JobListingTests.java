package ai.phreg.job;

import java.util.List;
import java.util.stream.IntStream;

import ai.phreg.TemporaryStorage;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Listing jobs through {@link JobService} on a job table of its own: pages are cut in the
 * database and a state filter counts every matching job. Nothing dispatches here, so
 * submitted jobs stay queued until stopped.
 */
@SpringBootTest(properties = { "phreg.dispatch-enabled=false",
		"spring.datasource.url=jdbc:h2:mem:job-listing;DB_CLOSE_DELAY=-1" })
class JobListingTests extends TemporaryStorage {

	@Autowired
	JobService jobs;

	@Test
	void pagesCutTheNewestFirstListAndAStateFilterCountsEveryMatchingJob() {
		// given five queued jobs, two of them then stopped
		List<String> submitted = IntStream.range(0, 5).mapToObj((i) -> this.jobs.submit(spec(), null).id()).toList();
		this.jobs.stop(submitted.get(1));
		this.jobs.stop(submitted.get(3));

		// when the whole list is read, then by pages of two
		JobList all = this.jobs.list(null, 0, Integer.MAX_VALUE);
		List<String> paged = IntStream.range(0, 3)
			.mapToObj((page) -> this.jobs.list(null, page * 2, 2))
			.peek((page) -> assertThat(page.total()).isEqualTo(5))
			.flatMap((page) -> ids(page).stream())
			.toList();

		// then the pages are the list, which is newest first
		assertThat(ids(all)).containsExactlyInAnyOrderElementsOf(submitted);
		assertThat(all.jobs()).extracting(JobView::createdAt).isSortedAccordingTo((a, b) -> b.compareTo(a));
		assertThat(paged).isEqualTo(ids(all));
		assertThat(this.jobs.list(null, 10, 2).jobs()).isEmpty();

		// and a state filter pages within the jobs in that state
		List<String> queued = all.jobs()
			.stream()
			.filter((job) -> job.state() == JobState.QUEUED)
			.map(JobView::id)
			.toList();
		assertThat(queued).hasSize(3);
		JobList secondQueued = this.jobs.list(JobState.QUEUED, 1, 1);
		assertThat(ids(secondQueued)).containsExactly(queued.get(1));
		assertThat(secondQueued.total()).isEqualTo(3);
		JobList stopped = this.jobs.list(JobState.STOPPED, 0, 10);
		assertThat(ids(stopped)).containsExactlyInAnyOrder(submitted.get(1), submitted.get(3));
		assertThat(stopped.total()).isEqualTo(2);
		assertThat(this.jobs.list(JobState.COMPLETED, 0, 10).total()).isZero();
	}

	private static List<String> ids(JobList list) {
		return list.jobs().stream().map(JobView::id).toList();
	}

	private static DistillSpec spec() {
		return new DistillSpec("demo", "demo", 4, Unlock.REGISTERS_ONLY, List.of(), 2, 0.15, null, 4, null, 5L, null,
				null, 0.01, 1, "cpu", 10, List.of(), null, null, false, null, null);
	}

}
