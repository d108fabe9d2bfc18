package ai.phreg.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import ai.phreg.checkpoint.CheckpointFormat;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.stereotype.Service;

/**
 * Jobs as the API sees them, over the job table, Spring Batch's repository and the job
 * folders.
 */
@Service
class DistillJobService implements JobService {

	private final JobRecords records;

	private final JobStates states;

	private final SpecChecks checks;

	private final Devices devices;

	private final ResolvedJobs resolved;

	private final RunningJobs running;

	private final JobDispatcher dispatcher;

	private final JobFolders folders;

	private final JobProgressHub progress;

	private final JobOutputs outputs;

	private final TaskScheduler scheduler;

	DistillJobService(JobRecords records, JobStates states, SpecChecks checks, Devices devices, ResolvedJobs resolved,
			RunningJobs running, JobDispatcher dispatcher, JobFolders folders, JobProgressHub progress,
			JobOutputs outputs, TaskScheduler scheduler) {
		this.records = records;
		this.states = states;
		this.checks = checks;
		this.devices = devices;
		this.resolved = resolved;
		this.running = running;
		this.dispatcher = dispatcher;
		this.folders = folders;
		this.progress = progress;
		this.outputs = outputs;
		this.scheduler = scheduler;
	}

	@Override
	public JobView submit(DistillSpec spec, String idempotencyKey) {
		if (idempotencyKey != null) {
			var existing = this.records.findByIdempotencyKey(idempotencyKey);
			if (existing.isPresent()) {
				return view(existing.get());
			}
		}
		// Only what costs no more than headers: the validate step checks the rest.
		Map<String, String> problems = this.checks.cheap(spec);
		if (!problems.isEmpty()) {
			throw new InvalidSpecException(problems);
		}
		JobRecord record = JobRecord.submitted(UUID.randomUUID().toString(), idempotencyKey, spec,
				this.devices.nameOf(spec.device()), Instant.now());
		try {
			this.records.insert(record);
		}
		catch (DuplicateKeyException ex) {
			// The same key was submitted concurrently: the first one wins.
			return view(this.records.findByIdempotencyKey(idempotencyKey).orElseThrow(() -> ex));
		}
		dispatchSoon();
		return view(record);
	}

	@Override
	public JobList list(JobState state, int from, int count) {
		if (state == null) {
			return new JobList(this.records.page(from, count).stream().map(this::view).toList(), this.records.count());
		}
		// A job's state comes from its Spring Batch executions, not from a column, so
		// only the filter reads every job; the views, with their files, are built for the
		// page.
		List<JobRecord> matching = this.records.all()
			.stream()
			.filter((record) -> this.states.of(record) == state)
			.toList();
		int start = Math.min(from, matching.size());
		int end = (int) Math.min(matching.size(), (long) start + count);
		return new JobList(matching.subList(start, end).stream().map(this::view).toList(), matching.size());
	}

	@Override
	public JobView get(String id) {
		return view(record(id));
	}

	@Override
	public JobView stop(String id) {
		JobRecord record = record(id);
		JobState state = this.states.of(record);
		switch (record.queueState()) {
			case QUEUED -> transition(record, JobRecord.QueueState.CANCELLED);
			case RESTART_QUEUED -> transition(record, JobRecord.QueueState.LAUNCHED);
			case LAUNCHED -> {
				if (!state.isActive()) {
					throw new JobStateException("Job " + id + " is " + state + "; only queued or running jobs stop",
							state);
				}
				this.running.requestStop(id);
			}
			case CANCELLED -> throw new JobStateException("Job " + id + " is already stopped", state);
		}
		this.progress.changed(id);
		return get(id);
	}

	@Override
	public JobView restart(String id) {
		JobRecord record = record(id);
		JobState state = this.states.of(record);
		// A stop that arrived as the previous execution ended must not stop this one.
		this.running.forget(id);
		if (record.queueState() == JobRecord.QueueState.CANCELLED
				|| record.queueState() == JobRecord.QueueState.LAUNCH_FAILED) {
			// Back to the queue it was launched from: a job that never ran starts afresh.
			transition(record, (record.jobInstanceId() == null) ? JobRecord.QueueState.QUEUED
					: JobRecord.QueueState.RESTART_QUEUED);
		}
		else if (record.queueState() == JobRecord.QueueState.LAUNCHED && state.isRestartable()) {
			transition(record, JobRecord.QueueState.RESTART_QUEUED);
		}
		else {
			throw new JobStateException("Job " + id + " is " + state + "; only stopped or failed jobs restart", state);
		}
		this.progress.changed(id);
		dispatchSoon();
		return get(id);
	}

	@Override
	public List<ArtifactView> artifacts(String id) {
		record(id);
		try {
			return this.folders.artifacts(id);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@Override
	public Path artifact(String id, String name) {
		record(id);
		Path file = this.folders.artifact(id, name);
		if (file == null) {
			throw new UnknownArtifactException(id, name);
		}
		return file;
	}

	@Override
	public List<StepRecord> history(String id) {
		record(id);
		return this.progress.history(id);
	}

	@Override
	public Path exportFolder(String id, CheckpointFormat format) {
		record(id);
		Path folder = this.folders.exports(id).resolve(format.name());
		if (!Files.isDirectory(folder)) {
			throw new UnknownArtifactException(id, this.folders.artifactName(id, folder));
		}
		return folder;
	}

	@Override
	public AutoCloseable subscribe(String id, Consumer<JobView> listener) {
		record(id);
		return this.progress.subscribe(id, () -> listener.accept(get(id)));
	}

	private JobRecord record(String id) {
		return this.records.find(id).orElseThrow(() -> new UnknownJobException(id));
	}

	private void transition(JobRecord record, JobRecord.QueueState to) {
		if (!this.records.transition(record.id(), record.queueState(), to)) {
			JobRecord now = record(record.id());
			throw new JobStateException("Job " + record.id() + " changed meanwhile; it is " + this.states.of(now),
					this.states.of(now));
		}
	}

	/** Launches without waiting for the next scheduled round. */
	private void dispatchSoon() {
		this.scheduler.schedule(this.dispatcher::dispatch, Instant.now());
	}

	private JobView view(JobRecord record) {
		List<JobExecution> executions = this.states.executions(record);
		JobExecution last = executions.isEmpty() ? null : executions.get(executions.size() - 1);
		List<String> errors = new ArrayList<>();
		if (record.launchError() != null) {
			errors.add(record.launchError());
		}
		for (JobExecution execution : executions) {
			String error = errorOf(execution);
			if (error != null) {
				errors.add(error);
			}
		}
		JobState state = this.states.of(record, executions);
		JobProgressHub.Snapshot snapshot = this.progress.latest(record.id());
		JobProgress progress = (snapshot != null) ? snapshot.progress() : null;
		if (progress != null && !state.isActive()) {
			progress = progress.withoutEta();
		}
		Optional<ResolvedJob> resolved = this.resolved.find(record.id());
		return new JobView(record.id(), record.spec().kind(), state, JobStates.phase(executions), record.spec(),
				resolved.map(ResolvedJob::settings).orElse(null),
				resolved.map((job) -> TeacherFamily.of(job.family())).orElse(null), progress,
				(snapshot != null) ? snapshot.skipped() : 0, errors, executions.size(), record.createdAt(),
				(last != null) ? instant(last.getStartTime()) : null,
				(last != null && !last.isRunning()) ? instant(last.getEndTime()) : null,
				(snapshot != null) ? snapshot.skippedImages() : List.of(), results(record.id()),
				this.outputs.registerNeurons(record.id()), this.outputs.analysis(record.id()));
	}

	private JobResults results(String id) {
		EvaluateTasklet.Evaluation evaluation = this.outputs.evaluation(id);
		return (evaluation != null) ? JobResults.of(evaluation) : null;
	}

	/**
	 * The first line of a failed execution's exit description: the sentence for the user
	 * that {@link JobFailures} put there (the repository keeps no exceptions), or the
	 * reason of a crash recovery.
	 */
	private static String errorOf(JobExecution execution) {
		ExitStatus exit = execution.getExitStatus();
		if (!ExitStatus.FAILED.getExitCode().equals(exit.getExitCode()) || exit.getExitDescription().isBlank()) {
			return null;
		}
		return exit.getExitDescription().lines().findFirst().orElse("").trim();
	}

	private static Instant instant(LocalDateTime time) {
		return (time != null) ? time.atZone(ZoneId.systemDefault()).toInstant() : null;
	}

}
