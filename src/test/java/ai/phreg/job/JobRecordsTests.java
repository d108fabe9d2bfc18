package ai.phreg.job;

import java.time.Instant;
import java.util.List;

import ai.phreg.distill.TargetSource;
import ai.phreg.distill.TeacherPrecision;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jdbc.test.autoconfigure.JdbcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job table on the Flyway schema: the queue, launches and the states the dispatcher
 * watches.
 */
@JdbcTest
@Import({ JobRecords.class, JobRecordsTests.Json.class })
class JobRecordsTests {

	@Autowired
	JobRecords records;

	@Autowired
	JdbcClient jdbc;

	@Test
	void aSubmissionRoundTripsWithItsTypedSpec() {
		JobRecord submitted = submit("a");

		JobRecord found = this.records.find("a").orElseThrow();

		assertThat(found.spec()).isEqualTo(submitted.spec());
		assertThat(found.queueState()).isEqualTo(JobRecord.QueueState.QUEUED);
		assertThat(found.lastSeenState()).isEqualTo(JobState.QUEUED);
		assertThat(found.launches()).isZero();
	}

	@Test
	void aSpecStoresItsChoicesAsUsersSpellThemAndReadsRecordsThatNamedTheConstants() {
		// given a spec with test-time registers and a float16 teacher, stored
		DistillSpec spec = new DistillSpec("demo", "demo", 4, Unlock.REGISTERS_ONLY, List.of(), 2, 0.15, null, 4, null,
				5L, null, null, 0.01, 1, "cuda:0", 10, List.of(), null, null, false, null, null, TeacherPrecision.FP16,
				TargetSource.TEST_TIME_REGISTERS);
		this.records.insert(JobRecord.submitted("spelled", null, spec, "cuda:0", Instant.now()));

		// then the stored JSON spells them as a request does
		String stored = this.jdbc.sql("select spec from phreg_job where id = 'spelled'").query(String.class).single();
		assertThat(stored).contains("\"targets\":\"test-time-registers\"", "\"teacherPrecision\":\"fp16\"")
			.doesNotContain("TEST_TIME_REGISTERS", "FP16");

		// and a record written when JSON named the constants reads as the same spec
		this.jdbc.sql("update phreg_job set spec = ? where id = 'spelled'")
			.param(stored.replace("test-time-registers", "TEST_TIME_REGISTERS").replace("fp16", "FP16"))
			.update();
		assertThat(this.records.find("spelled").orElseThrow().spec()).isEqualTo(spec);
	}

	@Test
	void aLaunchCountsAndOnlyOneOfTwoConcurrentLaunchesWins() {
		submit("b");

		assertThat(this.records.launch("b", JobRecord.QueueState.QUEUED)).isTrue();
		assertThat(this.records.launch("b", JobRecord.QueueState.QUEUED)).isFalse();

		JobRecord launched = this.records.find("b").orElseThrow();
		assertThat(launched.launches()).isEqualTo(1);
		assertThat(launched.lastSeenState()).isEqualTo(JobState.STARTING);
	}

	@Test
	void theDispatcherWatchesOnlyJobsThatCanStillChangeAndCountsByState() {
		submit("queued");
		submit("running");
		submit("done");
		submit("cancelled");
		this.records.launch("running", JobRecord.QueueState.QUEUED);
		this.records.seen("running", JobState.STARTED);
		this.records.launch("done", JobRecord.QueueState.QUEUED);
		this.records.seen("done", JobState.COMPLETED);
		this.records.transition("cancelled", JobRecord.QueueState.QUEUED, JobRecord.QueueState.CANCELLED);

		assertThat(this.records.watched()).extracting(JobRecord::id).containsExactlyInAnyOrder("queued", "running");
		assertThat(this.records.countByState()).containsEntry(JobState.QUEUED, 1L)
			.containsEntry(JobState.STARTED, 1L)
			.containsEntry(JobState.COMPLETED, 1L)
			.containsEntry(JobState.STOPPED, 1L);
		assertThat(this.records.queued()).extracting(JobRecord::id).containsExactly("queued");
	}

	private JobRecord submit(String id) {
		DistillSpec spec = new DistillSpec("demo", "demo", 4, Unlock.REGISTERS_ONLY, List.of(), 2, 0.15, null, 4, null,
				5L, null, null, 0.01, 1, "cpu", 10, List.of(), null, null, false, null, null);
		JobRecord record = JobRecord.submitted(id, null, spec, "cpu", Instant.now());
		this.records.insert(record);
		return record;
	}

	/** The JSON mapper the job table stores specs with. */
	static class Json {

		@Bean
		JsonMapper jsonMapper() {
			return JsonMapper.builder().build();
		}

	}

}
