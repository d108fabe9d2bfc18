package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import ai.phreg.distill.StepReport;
import ai.phreg.storage.JobFolders;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The latest progress of every job: kept in memory for running jobs, written to the job
 * folder ({@code progress.json}) at checkpoints so it survives restarts of the service,
 * published as Micrometer meters and pushed to subscribers (Server-Sent Events).
 */
@Component
class JobProgressHub {

	private final JobFolders folders;

	private final JsonMapper json;

	private final MeterRegistry meters;

	private final Map<String, Live> live = new ConcurrentHashMap<>();

	private final Map<String, List<Runnable>> subscribers = new ConcurrentHashMap<>();

	JobProgressHub(JobFolders folders, JsonMapper json, MeterRegistry meters) {
		this.folders = folders;
		this.json = json;
		this.meters = meters;
	}

	/**
	 * Records a training step of {@code jobId}; {@code skipped} counts unreadable images
	 * so far.
	 */
	void report(String jobId, StepReport report, int skipped) {
		Live state = this.live.computeIfAbsent(jobId, (id) -> new Live(id, this.meters));
		state.record(report, skipped);
		changed(jobId);
	}

	/** Adds images the evaluation could not read to the job's count of skipped images. */
	void skippedInEvaluation(String jobId, int count) throws IOException {
		Live state = this.live.get(jobId);
		if (state != null && count > 0) {
			state.addSkipped(count);
			persist(jobId);
			changed(jobId);
		}
	}

	/**
	 * Forgets the timing of a previous execution, so the ETA reflects the current one.
	 */
	void executionStarted(String jobId) {
		Live state = this.live.get(jobId);
		if (state != null) {
			state.restartClock();
		}
	}

	/** Writes the latest progress to the job folder. */
	void persist(String jobId) throws IOException {
		Live state = this.live.get(jobId);
		if (state != null && state.progress != null) {
			Path file = this.folders.folder(jobId).resolve("progress.json");
			Files.createDirectories(file.getParent());
			Path temporary = file.resolveSibling("progress.json.tmp");
			Files.writeString(temporary, this.json.writeValueAsString(new Snapshot(state.progress, state.skipped)));
			Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
	}

	/** The latest progress: live, else as last written to the job folder, else null. */
	Snapshot latest(String jobId) {
		Live state = this.live.get(jobId);
		if (state != null && state.progress != null) {
			return new Snapshot(state.progress, state.skipped);
		}
		Path file = this.folders.folder(jobId).resolve("progress.json");
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

	/** Tells subscribers of {@code jobId} that something changed. */
	void changed(String jobId) {
		for (Runnable subscriber : this.subscribers.getOrDefault(jobId, List.of())) {
			subscriber.run();
		}
	}

	AutoCloseable subscribe(String jobId, Runnable onChange) {
		List<Runnable> list = this.subscribers.computeIfAbsent(jobId, (id) -> new CopyOnWriteArrayList<>());
		list.add(onChange);
		return () -> list.remove(onChange);
	}

	/**
	 * @param progress the latest progress
	 * @param skipped images skipped as unreadable
	 */
	record Snapshot(JobProgress progress, int skipped) {
	}

	/** One job's latest figures, which its meters read. */
	private static final class Live {

		private final Timer teacherTime;

		private final Timer studentTime;

		private volatile JobProgress progress;

		private volatile int skipped;

		private Instant clockStart;

		private long clockStartStep;

		Live(String jobId, MeterRegistry meters) {
			this.teacherTime = Timer.builder("phreg.distill.teacher")
				.description("teacher time per step (denoised targets over all views)")
				.tag("job", jobId)
				.register(meters);
			this.studentTime = Timer.builder("phreg.distill.student")
				.description("student forward, backward and update per step")
				.tag("job", jobId)
				.register(meters);
			gauge(meters, "phreg.distill.loss", jobId, "total", (p) -> p.loss());
			gauge(meters, "phreg.distill.loss", jobId, "cosine", (p) -> p.cosineLoss());
			gauge(meters, "phreg.distill.loss", jobId, "mse", (p) -> p.mseLoss());
			gauge(meters, "phreg.distill.step", jobId, null, (p) -> p.step());
			gauge(meters, "phreg.distill.epoch", jobId, null, (p) -> p.epoch());
			gauge(meters, "phreg.distill.progress.ratio", jobId, null, (p) -> p.percent() / 100);
			gauge(meters, "phreg.distill.images.per.second", jobId, null, (p) -> p.imagesPerSecond());
			gauge(meters, "phreg.distill.learning.rate", jobId, null, (p) -> p.learningRate());
		}

		private void gauge(MeterRegistry meters, String name, String jobId, String part,
				Function<JobProgress, Number> value) {
			Gauge.Builder<Live> builder = Gauge.builder(name, this, (live) -> {
				JobProgress current = live.progress;
				Number number = (current != null) ? value.apply(current) : null;
				return (number != null) ? number.doubleValue() : Double.NaN;
			}).tag("job", jobId);
			if (part != null) {
				builder.tag("part", part);
			}
			builder.register(meters);
		}

		synchronized void record(StepReport report, int skippedImages) {
			Instant now = Instant.now();
			if (this.clockStart == null) {
				this.clockStart = now;
				this.clockStartStep = report.globalStep() - 1;
			}
			long stepsTimed = report.globalStep() - this.clockStartStep;
			double elapsed = Duration.between(this.clockStart, now).toMillis() / 1000.0;
			double eta = (report.totalSteps() - report.globalStep()) * (elapsed / stepsTimed);
			this.progress = new JobProgress(report.globalStep(), report.totalSteps(), report.epoch(),
					100.0 * report.globalStep() / report.totalSteps(), eta, report.loss(), report.cosineLoss(),
					report.mseLoss(), report.learningRate(), report.imagesPerSecond(), now);
			this.skipped = skippedImages;
			this.teacherTime.record(Duration.ofNanos((long) (report.teacherMillis() * 1e6)));
			this.studentTime.record(Duration.ofNanos((long) (report.studentMillis() * 1e6)));
		}

		synchronized void addSkipped(int count) {
			this.skipped += count;
		}

		synchronized void restartClock() {
			this.clockStart = null;
		}

	}

}
