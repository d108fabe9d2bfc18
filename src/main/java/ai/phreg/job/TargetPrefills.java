package ai.phreg.job;

import java.io.IOException;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.TargetPrefill;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The teachers of the {@code targets} partitions this process runs: a job's teacher is
 * loaded once per process, when its first partition arrives, shared by its partitions
 * (threads of a local step or successive requests to a worker) and released once another
 * job's partition arrives and none of the job's own is running.
 * <p>
 * Meters: {@code phreg.targets.partitions} (by outcome: completed, stopped, failed),
 * {@code phreg.targets.images} (counted image by image, so a rate over a window follows
 * the work in progress), {@code phreg.targets.images.rate} (images per second of the
 * partition that advanced last; a worker runs one at a time) and the timer
 * {@code phreg.targets.partition.time}. A worker tags them with its name
 * ({@link RemoteTargetsConfiguration}), so several workers are told apart.
 */
@Component
class TargetPrefills implements DisposableBean {

	private final JobInputs inputs;

	private final Map<String, Session> sessions = new HashMap<>();

	private final Map<Outcome, Counter> partitions = new EnumMap<>(Outcome.class);

	private final Counter images;

	private final Timer partitionTime;

	/** {@code phreg.targets.images.rate}, as the bits of a double. */
	private final AtomicLong imagesPerSecond = new AtomicLong(Double.doubleToLongBits(0));

	TargetPrefills(JobInputs inputs, MeterRegistry meters) {
		this.inputs = inputs;
		for (Outcome outcome : Outcome.values()) {
			this.partitions.put(outcome,
					Counter.builder("phreg.targets.partitions")
						.description("targets partitions this process ran, by how they ended")
						.tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
						.register(meters));
		}
		this.images = Counter.builder("phreg.targets.images")
			.description("Images whose teacher targets this process made sure of (computed or found)")
			.register(meters);
		Gauge.builder("phreg.targets.images.rate", this.imagesPerSecond, (bits) -> Double.longBitsToDouble(bits.get()))
			.description("Images per second of the targets partition this process advanced last")
			.register(meters);
		this.partitionTime = Timer.builder("phreg.targets.partition.time")
			.description("Wall time of the targets partitions this process ran")
			.register(meters);
	}

	/**
	 * The prefill of a job, its teacher loaded if this process has not loaded it yet;
	 * null when the job uses no target cache. Release the lease when the partition ends.
	 */
	synchronized Lease acquire(String jobId) throws IOException {
		Session session = this.sessions.get(jobId);
		if (session == null) {
			closeIdle();
			session = Session.open(this.inputs, jobId);
			this.sessions.put(jobId, session);
		}
		session.users++;
		return new Lease(this, jobId, session.prefill);
	}

	private synchronized void release(String jobId) {
		this.sessions.get(jobId).users--;
	}

	/** Records an image of a partition started {@code nanos} ago, its {@code done}th. */
	void recordImage(int done, long nanos) {
		this.images.increment();
		this.imagesPerSecond.set(Double.doubleToLongBits(done / (nanos / 1e9)));
	}

	/** Records a partition that ended, with its wall time. */
	void recordPartition(Outcome outcome, long nanos) {
		this.partitions.get(outcome).increment();
		this.partitionTime.record(nanos, TimeUnit.NANOSECONDS);
	}

	/** How a partition ended. */
	enum Outcome {

		COMPLETED, STOPPED, FAILED

	}

	/**
	 * Releases a job's teacher once its shards in this process have ended: the service
	 * frees it before training loads its own.
	 */
	synchronized void close(String jobId) {
		Session session = this.sessions.get(jobId);
		if (session != null && session.users == 0) {
			session.manager.close();
			this.sessions.remove(jobId);
		}
	}

	private void closeIdle() {
		for (Iterator<Session> open = this.sessions.values().iterator(); open.hasNext();) {
			Session session = open.next();
			if (session.users == 0) {
				session.manager.close();
				open.remove();
			}
		}
	}

	@Override
	public synchronized void destroy() {
		this.sessions.values().forEach((session) -> session.manager.close());
		this.sessions.clear();
	}

	/** One job's partitions in this process. */
	record Lease(TargetPrefills owner, String jobId, TargetPrefill prefill) implements AutoCloseable {

		@Override
		public void close() {
			this.owner.release(this.jobId);
		}

	}

	private static final class Session {

		private final NDManager manager;

		private final TargetPrefill prefill;

		private int users;

		private Session(NDManager manager, TargetPrefill prefill) {
			this.manager = manager;
			this.prefill = prefill;
		}

		static Session open(JobInputs inputs, String jobId) throws IOException {
			PreparedJob job = inputs.prepared(jobId);
			NDManager manager = inputs.newManager(job);
			try {
				LoadedModel teacher = inputs.teacher(job, manager);
				return new Session(manager, TargetPrefill.open(job.resolved().settings(), inputs.execution(job),
						teacher, inputs.split(job).training(), manager));
			}
			catch (IOException | RuntimeException ex) {
				manager.close();
				throw ex;
			}
		}

	}

}
