package ai.phreg.checkpoint.safetensors;

import java.lang.management.ManagementFactory;

/**
 * Heap bytes the current thread allocates while running an action, garbage included: a
 * measure of what parsing a hostile file costs that, unlike used-heap snapshots, does not
 * depend on when the collector happens to run or on other threads.
 */
public final class AllocatedBytes {

	private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	private AllocatedBytes() {
	}

	/** Runs {@code action}, ignoring what it throws, and returns the bytes allocated. */
	public static long during(ThrowingAction action) {
		long before = THREADS.getCurrentThreadAllocatedBytes();
		try {
			action.run();
		}
		catch (Exception ex) {
			// Only the cost matters here; callers assert on the outcome separately.
		}
		return THREADS.getCurrentThreadAllocatedBytes() - before;
	}

	@FunctionalInterface
	public interface ThrowingAction {

		void run() throws Exception;

	}

}
