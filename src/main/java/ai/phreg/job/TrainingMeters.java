package ai.phreg.job;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import ai.phreg.distill.StepReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.stereotype.Component;

/**
 * Training's Micrometer meters. Counters and timers are service-wide, so their number
 * does not grow with the jobs run. The gauges of a job's latest figures carry a
 * {@code phreg_job} tag (Prometheus reserves {@code job} for the scrape target) and exist
 * only while that job trains: their number is bounded by the jobs running at once.
 */
@Component
class TrainingMeters {

	static final String JOB_TAG = "phreg_job";

	private final MeterRegistry registry;

	private final Counter steps;

	private final Counter images;

	private final Counter skippedImages;

	private final Counter nonFiniteSteps;

	private final Timer teacherTime;

	private final Timer studentTime;

	private final Map<String, List<Meter>> liveGauges = new ConcurrentHashMap<>();

	TrainingMeters(MeterRegistry registry) {
		this.registry = registry;
		this.steps = Counter.builder("phreg.distill.steps")
			.description("Optimizer steps trained, over all jobs")
			.register(registry);
		this.images = Counter.builder("phreg.distill.images")
			.description("Training images the steps of all jobs went through")
			.register(registry);
		this.skippedImages = Counter.builder("phreg.distill.images.skipped")
			.description("Images skipped because they could not be read, in training and evaluation")
			.register(registry);
		this.nonFiniteSteps = Counter.builder("phreg.distill.steps.nonfinite")
			.description("Steps whose loss or gradients were not finite, so their update was skipped")
			.register(registry);
		this.teacherTime = Timer.builder("phreg.distill.teacher")
			.description("Teacher time per step: denoised targets over all views")
			.register(registry);
		this.studentTime = Timer.builder("phreg.distill.student")
			.description("Student time per step: forward, backward and update")
			.register(registry);
	}

	/** Registers the gauges of a job that starts training; they read {@code latest}. */
	void trainingStarted(String jobId, Supplier<JobProgress> latest) {
		trainingEnded(jobId);
		this.liveGauges.put(jobId, List.of(
				gauge("phreg.distill.loss", "Latest total loss of a training job", jobId, "total", latest,
						JobProgress::loss),
				gauge("phreg.distill.loss", "Latest cosine part of the loss, 1 - mean cos", jobId, "cosine", latest,
						JobProgress::cosineLoss),
				gauge("phreg.distill.loss", "Latest MSE part of the loss", jobId, "mse", latest, JobProgress::mseLoss),
				gauge("phreg.distill.step", "Global optimizer step of a training job", jobId, null, latest,
						JobProgress::step),
				gauge("phreg.distill.progress.ratio", "Share of a training job's steps done", jobId, null, latest,
						(progress) -> progress.percent() / 100),
				gauge("phreg.distill.images.per.second", "Training throughput of a job's latest step", jobId, null,
						latest, JobProgress::imagesPerSecond),
				gauge("phreg.distill.learning.rate", "Learning rate of a training job's latest step", jobId, null,
						latest, JobProgress::learningRate)));
	}

	/** Removes the gauges of a job whose training ended. */
	void trainingEnded(String jobId) {
		List<Meter> gauges = this.liveGauges.remove(jobId);
		if (gauges != null) {
			gauges.forEach(this.registry::remove);
		}
	}

	/** Counts and times one optimizer step. */
	void step(StepReport report, int newlySkippedImages, boolean nonFinite) {
		this.steps.increment();
		this.images.increment(report.images());
		skipped(newlySkippedImages);
		if (nonFinite) {
			this.nonFiniteSteps.increment();
		}
		this.teacherTime.record(Duration.ofNanos((long) (report.teacherMillis() * 1e6)));
		this.studentTime.record(Duration.ofNanos((long) (report.studentMillis() * 1e6)));
	}

	void skipped(int images) {
		this.skippedImages.increment(images);
	}

	private Gauge gauge(String name, String description, String jobId, String part, Supplier<JobProgress> latest,
			Function<JobProgress, Number> value) {
		Gauge.Builder<Supplier<JobProgress>> builder = Gauge.builder(name, latest, (supplier) -> {
			JobProgress current = supplier.get();
			Number number = (current != null) ? value.apply(current) : null;
			return (number != null) ? number.doubleValue() : Double.NaN;
		}).description(description).tag(JOB_TAG, jobId);
		if (part != null) {
			builder.tag("part", part);
		}
		return builder.register(this.registry);
	}

}
