package ai.phreg.job;

import java.time.Instant;
import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jdbc.test.autoconfigure.JdbcTest;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The step history on the Flyway schema: written in batches, served from the buffer
 * before it is written, and replaced where a resumed run trains steps again.
 */
@JdbcTest
@Import({ JobHistory.class, JobRecords.class, JobRecordsTests.Json.class })
class JobHistoryTests {

	private static final Instant START = Instant.parse("2026-01-02T03:04:05Z");

	@Autowired
	JobHistory history;

	@Autowired
	JobRecords records;

	@Autowired
	JdbcTemplate jdbc;

	@BeforeEach
	void job() {
		this.records.insert(
				JobRecord.submitted(
						"h", null, new DistillSpec("demo", "demo", 4, Unlock.DEFAULT, List.of(), 2, 0.15, null, 2, null,
								6L, null, null, 0.01, 1, "cpu", 3, List.of(), null, null, false, null, null),
						"cpu", START));
	}

	@Test
	void stepsAreServedFromTheBufferUntilWrittenAndFromTheTableAfter() {
		this.history.resumedAt("h", 0);
		LongStream.rangeClosed(1, 3).forEach((step) -> this.history.add("h", record(step, 1f / step)));

		assertThat(rowsOf("h")).isZero();
		assertThat(this.history.steps("h")).extracting(StepRecord::step).containsExactly(1L, 2L, 3L);

		this.history.write("h");

		assertThat(rowsOf("h")).isEqualTo(3);
		assertThat(this.history.steps("h")).containsExactly(record(1, 1f), record(2, 0.5f), record(3, 1f / 3));
	}

	@Test
	void aFullBufferIsWrittenInOneBatch() {
		this.history.resumedAt("h", 0);
		LongStream.rangeClosed(1, JobHistory.BATCH - 1).forEach((step) -> this.history.add("h", record(step, 1f)));
		assertThat(rowsOf("h")).isZero();

		this.history.add("h", record(JobHistory.BATCH, 1f));

		assertThat(rowsOf("h")).isEqualTo(JobHistory.BATCH);
	}

	@Test
	void aResumedRunReplacesTheStepsAfterItsCheckpoint() {
		// given a run that wrote steps 1 to 5 but whose newest checkpoint is at step 3
		this.history.resumedAt("h", 0);
		LongStream.rangeClosed(1, 5).forEach((step) -> this.history.add("h", record(step, 1f)));
		this.history.ended("h");

		// when the run resumes from step 3 and trains steps 4 to 6 again
		this.history.resumedAt("h", 3);
		LongStream.rangeClosed(4, 6).forEach((step) -> this.history.add("h", record(step, 2f)));
		this.history.ended("h");

		// then each step is there once, from the run that reached the end
		List<StepRecord> steps = this.history.steps("h");
		assertThat(steps).extracting(StepRecord::step).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
		assertThat(steps).extracting(StepRecord::loss).containsExactly(1f, 1f, 1f, 2f, 2f, 2f);
	}

	@Test
	void notFiniteLossesAreKept() {
		this.history.resumedAt("h", 0);
		StepRecord skipped = new StepRecord(1, 0, false, Float.NaN, Float.NaN, Float.POSITIVE_INFINITY, 1e-4f, 2, 1.5,
				10, 20, 0, START);
		this.history.add("h", skipped);
		this.history.ended("h");

		assertThat(this.history.steps("h")).containsExactly(skipped);
	}

	private int rowsOf(String jobId) {
		return this.jdbc.queryForObject("select count(*) from phreg_job_step where job_id = ?", Integer.class, jobId);
	}

	private static StepRecord record(long step, float loss) {
		return new StepRecord(step, (step - 1) / 10, true, loss, loss * 0.75f, loss * 0.25f, 1e-3f / step, 4,
				3.25 + step, 100.5 + step, 200.25 + step, (int) step / 2, START.plusSeconds(step));
	}

}
