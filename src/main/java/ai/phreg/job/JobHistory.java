package ai.phreg.job;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * Every job's step records, in the job table's database. A training step execution keeps
 * its new records in memory and writes them in one batch insert at each checkpoint, when
 * the buffer fills and when it ends: one round trip per {@value #BATCH} steps at most,
 * however fast steps are. Records not yet written are served from the buffer; after a
 * crash they are lost together with the steps themselves, which the resumed run trains
 * again from the checkpoint.
 */
@Repository
class JobHistory {

	/** The most records a training execution holds before writing them. */
	static final int BATCH = 200;

	private static final String COLUMNS = "job_id, step, epoch, updated, loss, cosine_loss, mse_loss, learning_rate,"
			+ " images, images_per_second, teacher_ms, student_ms, skipped_images, recorded_at";

	private final JdbcTemplate jdbc;

	private final Map<String, List<StepRecord>> pending = new ConcurrentHashMap<>();

	JobHistory(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * A training execution of {@code jobId} resumes after {@code startStep}: the records
	 * of later steps came from a run that did not reach its next checkpoint and are
	 * trained again.
	 */
	void resumedAt(String jobId, long startStep) {
		this.pending.put(jobId, new ArrayList<>());
		this.jdbc.update("delete from phreg_job_step where job_id = ? and step > ?", jobId, startStep);
	}

	void add(String jobId, StepRecord record) {
		List<StepRecord> buffer = this.pending.computeIfAbsent(jobId, (id) -> new ArrayList<>());
		int buffered;
		synchronized (buffer) {
			buffer.add(record);
			buffered = buffer.size();
		}
		if (buffered >= BATCH) {
			write(jobId);
		}
	}

	/** Writes the buffered records of {@code jobId} in one batch. */
	void write(String jobId) {
		List<StepRecord> buffer = this.pending.get(jobId);
		if (buffer == null) {
			return;
		}
		List<StepRecord> batch;
		synchronized (buffer) {
			batch = List.copyOf(buffer);
		}
		if (batch.isEmpty()) {
			return;
		}
		this.jdbc.batchUpdate(
				"insert into phreg_job_step (" + COLUMNS + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch,
				batch.size(), (statement, record) -> {
					statement.setString(1, jobId);
					statement.setLong(2, record.step());
					statement.setLong(3, record.epoch());
					statement.setBoolean(4, record.updated());
					statement.setFloat(5, record.loss());
					statement.setFloat(6, record.cosineLoss());
					statement.setFloat(7, record.mseLoss());
					statement.setFloat(8, record.learningRate());
					statement.setInt(9, record.images());
					statement.setDouble(10, record.imagesPerSecond());
					statement.setDouble(11, record.teacherMillis());
					statement.setDouble(12, record.studentMillis());
					statement.setInt(13, record.skippedImages());
					statement.setTimestamp(14, Timestamp.from(record.recordedAt()));
				});
		// Dropped only once written, so that a reader always finds each record in one
		// place or both.
		synchronized (buffer) {
			buffer.subList(0, batch.size()).clear();
		}
	}

	/** A training execution ended: what it buffered is written. */
	void ended(String jobId) {
		try {
			write(jobId);
		}
		finally {
			this.pending.remove(jobId);
		}
	}

	/** Every step of {@code jobId} in order: those written, then those still buffered. */
	List<StepRecord> steps(String jobId) {
		List<StepRecord> steps = new ArrayList<>(
				this.jdbc.query("select * from phreg_job_step where job_id = ? order by step", this::map, jobId));
		List<StepRecord> buffer = this.pending.get(jobId);
		if (buffer != null) {
			long last = steps.isEmpty() ? 0 : steps.get(steps.size() - 1).step();
			synchronized (buffer) {
				buffer.stream().filter((record) -> record.step() > last).forEach(steps::add);
			}
		}
		return steps;
	}

	private StepRecord map(ResultSet row, int number) throws SQLException {
		return new StepRecord(row.getLong("step"), row.getLong("epoch"), row.getBoolean("updated"),
				row.getFloat("loss"), row.getFloat("cosine_loss"), row.getFloat("mse_loss"),
				row.getFloat("learning_rate"), row.getInt("images"), row.getDouble("images_per_second"),
				row.getDouble("teacher_ms"), row.getDouble("student_ms"), row.getInt("skipped_images"),
				row.getTimestamp("recorded_at").toInstant());
	}

}
