package ai.phreg.model;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Constants inside an autograd graph survive a garbage collection between the forward and
 * the backward pass: with DJL's {@code mul(Number)} the constant's memory is freed by
 * then and the gradient is whatever the allocator wrote there.
 */
class GraphConstantsTests {

	private static final BufferPoolMXBean DIRECT_BUFFERS = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
		.stream()
		.filter((pool) -> pool.getName().equals("direct"))
		.findFirst()
		.orElseThrow();

	@Test
	void aScaledArrayDifferentiatesCorrectlyAfterEveryDroppedJavaBufferWasFreed() {
		try (NDManager manager = NDManager.newBaseManager()) {
			NDArray x = manager.create(new float[] { 1f, -2f, 3f, 4f });
			x.setRequiresGradient(true);
			try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
				long buffersBeforeForward = DIRECT_BUFFERS.getCount();
				NDArray loss = GraphConstants.times(x, 0.75f).sum();

				// Whatever the forward pass dropped is freed before backward.
				awaitDirectBuffersAtMost(buffersBeforeForward);
				collector.backward(loss);
			}

			assertThat(x.getGradient().toFloatArray()).containsExactly(0.75f, 0.75f, 0.75f, 0.75f);
		}
	}

	@Test
	void arraysOfJavaValuesKeepTheirValuesAfterTheJavaBufferWasFreed() {
		try (NDManager manager = NDManager.newBaseManager()) {
			long buffersBefore = DIRECT_BUFFERS.getCount();
			NDArray weights = GraphConstants.of(manager, new float[] { 0.5f, 0.25f, 2f, -1f }, new Shape(2, 2));

			awaitDirectBuffersAtMost(buffersBefore);

			assertThat(weights.toFloatArray()).containsExactly(0.5f, 0.25f, 2f, -1f);
			assertThat(weights.getShape()).isEqualTo(new Shape(2, 2));
		}
	}

	/**
	 * Collects garbage until at most {@code count} direct buffers remain: a buffer's
	 * cleaner frees its memory before it stops being counted.
	 */
	private static void awaitDirectBuffersAtMost(long count) {
		Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
		while (DIRECT_BUFFERS.getCount() > count) {
			assertThat(Instant.now()).as("dropped direct buffers freed").isBefore(deadline);
			System.gc();
			Thread.onSpinWait();
		}
	}

}
