package ai.phreg.distill;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongFunction;

/**
 * Produces the item for the next position on a background thread while the caller works
 * on the current one, so decoding and cropping images never hold up the teacher. Asking
 * for a position that was not requested (after a restore, say) produces it on the spot; a
 * dropped item is closed if it can be.
 *
 * @param <T> what is produced per position
 */
final class Prefetcher<T> implements AutoCloseable {

	private final LongFunction<T> producer;

	private final ExecutorService executor = Executors.newSingleThreadExecutor((task) -> {
		Thread thread = new Thread(task, "phreg-prefetch");
		thread.setDaemon(true);
		return thread;
	});

	private long pendingPosition = -1;

	private Future<T> pending;

	Prefetcher(LongFunction<T> producer) {
		this.producer = producer;
	}

	/** Starts producing {@code position} in the background. */
	void request(long position) {
		cancelPending();
		this.pendingPosition = position;
		this.pending = this.executor.submit(() -> this.producer.apply(position));
	}

	/** The item at {@code position}, prefetched if it was requested. */
	T take(long position) {
		Future<T> requested = (this.pendingPosition == position) ? this.pending : null;
		if (requested == null) {
			cancelPending();
			return this.producer.apply(position);
		}
		this.pending = null;
		this.pendingPosition = -1;
		try {
			return requested.get();
		}
		catch (InterruptedException ex) {
			// Keep the interrupt for the caller's loop; this step still needs its item.
			Thread.currentThread().interrupt();
			requested.cancel(false);
			return this.producer.apply(position);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			if (ex.getCause() instanceof Error error) {
				throw error;
			}
			throw new IllegalStateException(ex.getCause());
		}
		catch (CancellationException ex) {
			return this.producer.apply(position);
		}
	}

	/**
	 * Drops the pending item; one already being produced is waited for and closed, so
	 * that what it holds (native memory) is released.
	 */
	private void cancelPending() {
		Future<T> dropped = this.pending;
		this.pending = null;
		this.pendingPosition = -1;
		if (dropped == null || dropped.cancel(false)) {
			return;
		}
		try {
			if (dropped.get() instanceof AutoCloseable closeable) {
				closeable.close();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (Exception ex) {
			// The item is not wanted: its failure does not matter either.
		}
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

}
