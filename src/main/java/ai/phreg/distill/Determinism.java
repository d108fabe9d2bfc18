package ai.phreg.distill;

import java.util.function.Supplier;

import ai.djl.pytorch.jni.JniUtils;

/**
 * How exactly a run repeats. Every random choice already comes from the seed
 * ({@link Seeds}), and a checkpoint holds all the state a step reads, so the remaining
 * freedom is libtorch's: its CPU kernels split sums and matrix products across the
 * calling thread's intra-op threads, and the split changes the rounding.
 */
public enum Determinism {

	/**
	 * libtorch's threads as the engine set them: fastest. Two runs in processes with the
	 * same thread count give the same bits, but a run resumed under another thread count
	 * (another machine, another {@code ai.djl.pytorch.num_threads}) drifts at rounding
	 * level from then on.
	 */
	DEFAULT,

	/**
	 * Every step runs on one intra-op thread, whatever the engine's setting: the same
	 * teacher, images and settings give bit-identical weights in any process on any
	 * machine with the same libtorch build, resumed after any number of crashes. The cost
	 * is the parallel speed-up of libtorch's kernels. Inter-op threads are not involved:
	 * eager operations never fork. CUDA kernels are not covered (DJL does not expose
	 * libtorch's deterministic-algorithms switch).
	 */
	EXACT;

	/**
	 * Runs {@code step} on the calling thread under this mode; the thread's own setting
	 * is restored afterwards, as the thread may train other runs next.
	 */
	<T> T apply(Supplier<T> step) {
		if (this == DEFAULT) {
			return step.get();
		}
		// libtorch keeps the thread count per calling thread (OpenMP and MKL alike).
		int threads = JniUtils.getNumThreads();
		JniUtils.setNumThreads(1);
		try {
			return step.get();
		}
		finally {
			JniUtils.setNumThreads(threads);
		}
	}

}
