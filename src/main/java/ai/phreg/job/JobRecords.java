package ai.phreg.job;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/**
 * The job table: submissions, the persistent queue, links to Spring Batch's job instances
 * and the state the dispatcher last saw of each job.
 */
@Repository
class JobRecords {

	private static final String WATCHED = "'QUEUED', 'STARTING', 'STARTED', 'STOPPING'";

	private final JdbcClient jdbc;

	private final JsonMapper json;

	JobRecords(JdbcClient jdbc, JsonMapper json) {
		this.jdbc = jdbc;
		this.json = json;
	}

	void insert(JobRecord record) {
		this.jdbc
			.sql("insert into phreg_job (id, idempotency_key, spec, device, queue_state, created_at, queued_at,"
					+ " launches, state) values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
			.params(record.id(), record.idempotencyKey(), this.json.writeValueAsString(record.spec()), record.device(),
					record.queueState().name(), Timestamp.from(record.createdAt()), Timestamp.from(record.queuedAt()),
					record.launches(), record.lastSeenState().name())
			.update();
	}

	Optional<JobRecord> find(String id) {
		return this.jdbc.sql("select * from phreg_job where id = ?").param(id).query(this::map).optional();
	}

	/** The spec of a job that must exist, such as one Spring Batch is running. */
	DistillSpec spec(String id) {
		return find(id).orElseThrow(() -> new UnknownJobException(id)).spec();
	}

	Optional<JobRecord> findByIdempotencyKey(String key) {
		return this.jdbc.sql("select * from phreg_job where idempotency_key = ?")
			.param(key)
			.query(this::map)
			.optional();
	}

	List<JobRecord> all() {
		return this.jdbc.sql("select * from phreg_job order by created_at desc, id").query(this::map).list();
	}

	/** At most {@code count} jobs, newest first, skipping the {@code from} newest. */
	List<JobRecord> page(int from, int count) {
		return this.jdbc.sql("select * from phreg_job order by created_at desc, id limit ? offset ?")
			.params(count, from)
			.query(this::map)
			.list();
	}

	int count() {
		return this.jdbc.sql("select count(*) from phreg_job").query(Integer.class).single();
	}

	/**
	 * Jobs whose state can change without a user asking: queued, starting, running or
	 * stopping (by the state last seen, which is indexed).
	 */
	List<JobRecord> watched() {
		return this.jdbc.sql("select * from phreg_job where state in (" + WATCHED + ")").query(this::map).list();
	}

	/** Jobs waiting for a device, oldest first. */
	List<JobRecord> queued() {
		return this.jdbc
			.sql("select * from phreg_job where queue_state in ('QUEUED', 'RESTART_QUEUED') order by queued_at, id")
			.query(this::map)
			.list();
	}

	List<JobRecord> launched() {
		return this.jdbc.sql("select * from phreg_job where queue_state = 'LAUNCHED'").query(this::map).list();
	}

	/** How many jobs are in each state, as last seen. */
	Map<JobState, Long> countByState() {
		Map<JobState, Long> counts = new EnumMap<>(JobState.class);
		this.jdbc.sql("select state, count(*) as jobs from phreg_job group by state").query((row) -> {
			counts.put(JobState.valueOf(row.getString("state")), row.getLong("jobs"));
		});
		return counts;
	}

	/**
	 * Moves a job from {@code from} to {@code to}; false when another thread changed it
	 * first.
	 */
	boolean transition(String id, JobRecord.QueueState from, JobRecord.QueueState to) {
		return this.jdbc
			.sql("update phreg_job set queue_state = ?, state = ?, queued_at = ? where id = ? and queue_state = ?")
			.params(to.name(), to.visibleState().name(), Timestamp.from(Instant.now()), id, from.name())
			.update() == 1;
	}

	/**
	 * Hands a queued job to Spring Batch; false when another thread changed it first,
	 * which keeps two dispatchers from launching the same job.
	 */
	boolean launch(String id, JobRecord.QueueState from) {
		return this.jdbc
			.sql("update phreg_job set queue_state = 'LAUNCHED', state = 'STARTING', launches = launches + 1,"
					+ " queued_at = ? where id = ? and queue_state = ?")
			.params(Timestamp.from(Instant.now()), id, from.name())
			.update() == 1;
	}

	/** Records the state the dispatcher saw. */
	void seen(String id, JobState state) {
		this.jdbc.sql("update phreg_job set state = ? where id = ?").params(state.name(), id).update();
	}

	void linkInstance(String id, long jobInstanceId) {
		this.jdbc.sql("update phreg_job set job_instance_id = ?, launch_error = null where id = ?")
			.params(jobInstanceId, id)
			.update();
	}

	/**
	 * Remembers why a launch failed, for the job's view, and gives the launch back: the
	 * job is FAILED, not starting an execution that will never come.
	 */
	void launchFailed(String id, String error) {
		this.jdbc
			.sql("update phreg_job set launch_error = ?, queue_state = 'LAUNCH_FAILED', state = 'FAILED',"
					+ " launches = launches - 1 where id = ? and queue_state = 'LAUNCHED'")
			.params(error.substring(0, Math.min(error.length(), 4000)), id)
			.update();
	}

	private JobRecord map(ResultSet row, int number) throws SQLException {
		long instance = row.getLong("job_instance_id");
		Long jobInstanceId = row.wasNull() ? null : instance;
		return new JobRecord(row.getString("id"), row.getString("idempotency_key"),
				this.json.readValue(row.getString("spec"), DistillSpec.class), row.getString("device"),
				JobRecord.QueueState.valueOf(row.getString("queue_state")), row.getTimestamp("created_at").toInstant(),
				row.getTimestamp("queued_at").toInstant(), jobInstanceId, row.getString("launch_error"),
				row.getInt("launches"), JobState.valueOf(row.getString("state")));
	}

}
