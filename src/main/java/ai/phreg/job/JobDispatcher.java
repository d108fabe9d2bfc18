package ai.phreg.job;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import ai.phreg.system.FailureMessages;
import ai.phreg.system.PhregProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Launches queued jobs when their device has a free slot, oldest first, as
 * {@code distillJob} or {@code analyzeJob} by their kind, and keeps the queue and state
 * meters current. Before its first launch it recovers executions a crash of the service
 * left running, marking them FAILED so users can restart them from their last checkpoint.
 */
@Component
class JobDispatcher implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(JobDispatcher.class);

	static final String CRASH_MESSAGE = "The service stopped while this job ran; restart the job to resume from"
			+ " its last checkpoint";

	private final JobRecords records;

	private final JobOperator operator;

	private final JobRepository repository;

	private final Job distillJob;

	private final Job analyzeJob;

	private final int slots;

	/** False in a worker process, which runs partitions of other processes' jobs only. */
	private final boolean enabled;

	private final JobProgressHub progress;

	private final JobStates states;

	private final RunningJobs runningJobs;

	private final AtomicLong queueLength = new AtomicLong();

	private final Map<JobState, AtomicLong> byState = new EnumMap<>(JobState.class);

	JobDispatcher(JobRecords records, JobOperator operator, JobRepository repository, Job distillJob, Job analyzeJob,
			PhregProperties properties, JobProgressHub progress, JobStates states, RunningJobs runningJobs,
			MeterRegistry meters, @Value("${phreg.dispatch-enabled:true}") boolean enabled) {
		this.enabled = enabled;
		this.records = records;
		this.operator = operator;
		this.repository = repository;
		this.distillJob = distillJob;
		this.analyzeJob = analyzeJob;
		this.slots = properties.deviceSlots();
		this.progress = progress;
		this.states = states;
		this.runningJobs = runningJobs;
		Gauge.builder("phreg.queue.length", this.queueLength, AtomicLong::get)
			.description("Jobs waiting for a free slot on their device")
			.register(meters);
		for (JobState state : JobState.values()) {
			AtomicLong count = new AtomicLong();
			this.byState.put(state, count);
			Gauge.builder("phreg.jobs", count, AtomicLong::get)
				.description("Jobs by state, as the dispatcher last saw them")
				.tag("state", state.name())
				.register(meters);
		}
	}

	/**
	 * Recovers before the web server accepts requests (it starts after all singletons),
	 * so no one sees a half-recovered job.
	 */
	@Override
	public void afterSingletonsInstantiated() {
		if (this.enabled) {
			recoverCrashedExecutions();
		}
	}

	/**
	 * Looks at the jobs that can change on their own (queued or active, by an indexed
	 * query): records and announces their changes, forgets the stop requests of those no
	 * longer active (their end is recorded), then launches what fits.
	 */
	@Scheduled(fixedDelayString = "${phreg.dispatch-interval:1s}")
	synchronized void dispatch() {
		if (!this.enabled) {
			return;
		}
		Map<String, Integer> running = new HashMap<>();
		for (JobRecord record : this.records.watched()) {
			JobState state = this.states.of(record);
			if (state != record.lastSeenState()) {
				this.records.seen(record.id(), state);
				// Batch records the end of an execution after its listeners ran:
				// subscribers learn of it here, within one round.
				this.progress.changed(record.id());
				if (!state.isActive()) {
					this.runningJobs.forget(record.id());
				}
			}
			if (state.isActive()) {
				running.merge(record.device(), 1, Integer::sum);
			}
		}
		Map<JobState, Long> counts = this.records.countByState();
		this.byState.forEach((state, count) -> count.set(counts.getOrDefault(state, 0L)));
		long waiting = 0;
		for (JobRecord record : this.records.queued()) {
			if (running.getOrDefault(record.device(), 0) >= this.slots) {
				waiting++;
				continue;
			}
			if (launch(record)) {
				running.merge(record.device(), 1, Integer::sum);
			}
		}
		this.queueLength.set(waiting);
	}

	boolean launch(JobRecord record) {
		if (!this.records.launch(record.id(), record.queueState())) {
			return false;
		}
		try {
			JobExecution execution;
			if (record.queueState() == JobRecord.QueueState.RESTART_QUEUED) {
				JobInstance instance = this.repository.getJobInstance(record.jobInstanceId());
				execution = this.operator.restart(this.repository.getLastJobExecution(instance));
			}
			else {
				Job job = (record.spec().kind() == JobKind.ANALYZE) ? this.analyzeJob : this.distillJob;
				execution = this.operator.start(job,
						new JobParametersBuilder().addString(JobIds.PARAMETER, record.id()).toJobParameters());
			}
			this.records.linkInstance(record.id(), execution.getJobInstance().getInstanceId());
			return true;
		}
		catch (Exception ex) {
			String message = launchFailure(ex);
			logger.warn("Could not launch job " + record.id() + ": " + message);
			this.records.launchFailed(record.id(), message);
			return false;
		}
		finally {
			this.progress.changed(record.id());
		}
	}

	/**
	 * What the job's view says of a launch Spring Batch refused: that the job did not
	 * start, and why in the user's terms ({@link FailureMessages} logs anything else
	 * under a reference), never the exception's own text.
	 */
	static String launchFailure(Exception failure) {
		return "The service could not start the job: " + FailureMessages.describe(failure);
	}

	private void recoverCrashedExecutions() {
		for (JobRecord record : this.records.launched()) {
			if (record.jobInstanceId() == null) {
				continue;
			}
			JobInstance instance = this.repository.getJobInstance(record.jobInstanceId());
			JobExecution last = (instance != null) ? this.repository.getLastJobExecution(instance) : null;
			if (last != null && last.isRunning()) {
				logger.info("Recovering job " + record.id() + " left running by a previous process");
				// Set before recovering, so the FAILED state and its reason are written
				// together.
				last.setExitStatus(new ExitStatus(ExitStatus.FAILED.getExitCode(), CRASH_MESSAGE));
				this.operator.recover(last);
			}
		}
	}

}
