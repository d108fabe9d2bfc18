package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import ai.phreg.distill.StepReport;
import ai.phreg.imagesource.SkippedImage;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The latest progress of every job: kept in memory while a job trains, written to the job
 * folder at checkpoints and when training ends so it survives the service, published
 * through {@link TrainingMeters} and pushed to subscribers (Server-Sent Events). Every
 * step also goes to the job's {@link JobHistory}.
 */
@Component
class JobProgressHub {

	/** How many skipped images a snapshot lists by name; the count covers them all. */
	static final int SKIPPED_LISTED = 100;

	private final JobFolders folders;

	private final JsonMapper json;

	private final TrainingMeters meters;

	private final JobHistory history;

	private final Map<String, Live> live = new ConcurrentHashMap<>();

	private final Map<String, List<Runnable>> subscribers = new ConcurrentHashMap<>();

	JobProgressHub(JobFolders folders, JsonMapper json, TrainingMeters meters, JobHistory history) {
		this.folders = folders;
		this.json = json;
		this.meters = meters;
		this.history = history;
	}

	/**
	 * A training step execution of {@code jobId} starts at global step {@code startStep}:
	 * the ETA is timed from now.
	 */
	void trainingStarted(String jobId, long startStep) {
		Snapshot previous = latest(jobId);
		Live state = new Live(Instant.now(), startStep, (previous != null) ? previous.skipped() : 0,
				(previous != null) ? previous.skippedImages() : List.of());
		state.progress = (previous != null) ? previous.progress() : null;
		this.history.resumedAt(jobId, startStep);
		this.live.put(jobId, state);
		this.meters.trainingStarted(jobId, () -> {
			Live current = this.live.get(jobId);
			return (current != null) ? current.progress : null;
		});
	}

	/**
	 * Records a training step of {@code jobId}; {@code skipped} lists every training
	 * image left out so far, with the reason.
	 */
	void report(String jobId, StepReport report, List<SkippedImage> skipped, boolean nonFinite) {
		Live state = this.live.get(jobId);
		if (state == null) {
			throw new IllegalStateException("Job " + jobId + " reports a step outside a training step");
		}
		int newlySkipped = state.record(report, skipped);
		this.history.add(jobId, StepRecord.of(report, state.skipped, state.progress.updatedAt()));
		this.meters.step(report, newlySkipped, nonFinite);
		changed(jobId);
	}

	/** Training of {@code jobId} ended: its progress is written, its live meters go. */
	void trainingEnded(String jobId) {
		try {
			persist(jobId);
		}
		catch (IOException ex) {
			// The latest checkpoint's progress.json remains; nothing else is lost.
		}
		finally {
			this.history.ended(jobId);
		}
		this.live.remove(jobId);
		this.meters.trainingEnded(jobId);
	}

	/**
	 * Adds images the evaluation could not read, by name with the reason, to the job's
	 * skipped images.
	 */
	void skippedInEvaluation(String jobId, Map<String, String> skipped) throws IOException {
		Snapshot latest = latest(jobId);
		if (latest != null && !skipped.isEmpty()) {
			List<SkippedImage> listed = new ArrayList<>(latest.skippedImages());
			skipped.forEach((name, reason) -> listed.add(new SkippedImage(name, reason)));
			write(jobId, new Snapshot(latest.progress(), latest.skipped() + skipped.size(), listed));
			this.meters.skipped(skipped.size());
			changed(jobId);
		}
	}

	/**
	 * Writes the latest progress of a training job to the job folder and its new step
	 * records to the history.
	 */
	void persist(String jobId) throws IOException {
		this.history.write(jobId);
		Live state = this.live.get(jobId);
		if (state != null && state.progress != null) {
			write(jobId, state.snapshot());
		}
	}

	private void write(String jobId, Snapshot snapshot) throws IOException {
		Path file = this.folders.progress(jobId);
		Files.createDirectories(file.getParent());
		Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
		Files.writeString(temporary, this.json.writeValueAsString(snapshot));
		Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	/** The latest progress: live, else as last written to the job folder, else null. */
	Snapshot latest(String jobId) {
		Live state = this.live.get(jobId);
		if (state != null && state.progress != null) {
			return state.snapshot();
		}
		Path file = this.folders.progress(jobId);
		if (Files.isRegularFile(file)) {
			try {
				return this.json.readValue(Files.readString(file), Snapshot.class);
			}
			catch (IOException | RuntimeException ex) {
				return null;
			}
		}
		return null;
	}

	/** Every step of {@code jobId} so far, in order. */
	List<StepRecord> history(String jobId) {
		return this.history.steps(jobId);
	}

	/**
	 * Tells subscribers of {@code jobId} that something changed. Subscribers read the job
	 * when told; one change at a time per job, so that what they read reaches them in the
	 * order it was read (a step's report and a stop, told from two threads, otherwise
	 * could show STOPPING, then STARTED).
	 */
	void changed(String jobId) {
		List<Runnable> list = this.subscribers.get(jobId);
		if (list == null) {
			return;
		}
		synchronized (list) {
			for (Runnable subscriber : list) {
				subscriber.run();
			}
		}
	}

	AutoCloseable subscribe(String jobId, Runnable onChange) {
		List<Runnable> list = this.subscribers.computeIfAbsent(jobId, (id) -> new CopyOnWriteArrayList<>());
		list.add(onChange);
		return () -> list.remove(onChange);
	}

	/**
	 * @param progress the latest progress
	 * @param skipped how many images were skipped: left out when the source was scanned
	 * or unreadable in training or evaluation
	 * @param skippedImages the first {@value #SKIPPED_LISTED} of them by name, with the
	 * reason
	 */
	record Snapshot(JobProgress progress, int skipped, List<SkippedImage> skippedImages) {

		Snapshot {
			// Progress written before skipped images were listed has none.
			skippedImages = (skippedImages != null)
					? List.copyOf(skippedImages.subList(0, Math.min(skippedImages.size(), SKIPPED_LISTED))) : List.of();
		}

	}

	/** One training step execution's latest figures and clock. */
	private static final class Live {

		private final Instant clockStart;

		private final long clockStartStep;

		private volatile JobProgress progress;

		private volatile int skipped;

		private volatile List<SkippedImage> skippedImages;

		Live(Instant clockStart, long clockStartStep, int skipped, List<SkippedImage> skippedImages) {
			this.clockStart = clockStart;
			this.clockStartStep = clockStartStep;
			this.skipped = skipped;
			this.skippedImages = skippedImages;
		}

		/**
		 * Returns how many images were newly skipped. A run resumed after a restart has
		 * found fewer unreadable images than its earlier executions until it meets them
		 * again: until then the earlier list stands.
		 */
		synchronized int record(StepReport report, List<SkippedImage> skippedImages) {
			Instant now = Instant.now();
			// Timed from the start of this execution, which includes its first step: the
			// ETA after one step is that step's time for each step left.
			double elapsed = Duration.between(this.clockStart, now).toNanos() / 1e9;
			double eta = (report.totalSteps() - report.globalStep()) * elapsed
					/ (report.globalStep() - this.clockStartStep);
			this.progress = new JobProgress(report.globalStep(), report.totalSteps(), report.epoch(),
					100.0 * report.globalStep() / report.totalSteps(), eta, report.loss(), report.cosineLoss(),
					report.mseLoss(), report.learningRate(), report.imagesPerSecond(), now);
			int newlySkipped = Math.max(0, skippedImages.size() - this.skipped);
			if (skippedImages.size() >= this.skipped) {
				this.skipped = skippedImages.size();
				this.skippedImages = skippedImages;
			}
			return newlySkipped;
		}

		Snapshot snapshot() {
			return new Snapshot(this.progress, this.skipped, this.skippedImages);
		}

	}

}
