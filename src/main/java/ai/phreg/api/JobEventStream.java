package ai.phreg.api;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import ai.phreg.job.JobService;
import ai.phreg.job.JobView;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One client following one job: sends the job's view as a {@code progress} event now and
 * on every change, completes after the view of an ended job, and stops listening to the
 * job as soon as the stream ends for any reason (job ended, client gone, timeout).
 */
final class JobEventStream implements Consumer<JobView> {

	private static final String EVENT = "progress";

	// How long one stream lasts at most; EventSource clients reconnect by themselves, so
	// a long job is followed over several streams without holding a request forever.
	private static final Duration TIMEOUT = Duration.ofMinutes(30);

	private static final Log logger = LogFactory.getLog(JobEventStream.class);

	private final SseEmitter emitter = new SseEmitter(TIMEOUT.toMillis());

	private final AtomicBoolean finished = new AtomicBoolean();

	private final AtomicReference<AutoCloseable> subscription = new AtomicReference<>();

	private JobEventStream() {
		this.emitter.onCompletion(this::finish);
		this.emitter.onTimeout(this.emitter::complete);
		this.emitter.onError((ex) -> finish());
	}

	/**
	 * Opens the stream of a job.
	 * @throws ai.phreg.job.UnknownJobException before anything is sent
	 */
	static SseEmitter open(JobService jobs, String id) {
		JobView current = jobs.get(id);
		JobEventStream stream = new JobEventStream();
		stream.accept(current);
		if (!stream.finished.get()) {
			stream.attach(jobs.subscribe(id, stream));
			// A job that ended between get and subscribe reports no further change.
			JobView latest = jobs.get(id);
			if (latest.state().isTerminal()) {
				stream.accept(latest);
			}
		}
		return stream.emitter;
	}

	@Override
	public void accept(JobView view) {
		boolean last = view.state().isTerminal();
		// Only one final event, however many threads report the end.
		if (last ? this.finished.getAndSet(true) : this.finished.get()) {
			return;
		}
		try {
			this.emitter.send(SseEmitter.event().name(EVENT).data(view, MediaType.APPLICATION_JSON));
			if (last) {
				finish();
				this.emitter.complete();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// The client went away or the stream timed out.
			finish();
		}
	}

	private void finish() {
		this.finished.set(true);
		unsubscribe();
	}

	private void attach(AutoCloseable handle) {
		this.subscription.set(handle);
		// The stream may have ended while subscribing; whoever sees both closes the
		// handle.
		if (this.finished.get()) {
			unsubscribe();
		}
	}

	private void unsubscribe() {
		AutoCloseable handle = this.subscription.getAndSet(null);
		if (handle != null) {
			try {
				handle.close();
			}
			catch (Exception ex) {
				logger.warn("Could not close a job subscription", ex);
			}
		}
	}

}
