package ai.phreg.distill;

import java.util.Locale;

import ai.phreg.model.ViTConfig;

/**
 * The peak memory of one PH-Reg training step, estimated from the teacher's architecture
 * and the run's sizes before anything is allocated, so that a request libtorch could not
 * serve (or that would push the machine into swap) is refused at submission instead of
 * failing, or taking the machine down, mid-run.
 * <p>
 * The teacher runs over the {@code B·V} views of a batch a chunk of view-images at a time
 * and frees each pass's intermediate results before the next, keeping only the features;
 * then the student's intermediate results for the {@code B} images, which
 * back-propagation needs, and their gradients. The two phases do not overlap, so the
 * step's peak is the larger of them, with a quarter on top for what the allocator holds
 * between them. Per image and block, a forward pass holds a few token-by-width arrays
 * (normalized input, q, k, v, attention output, projections, residual sums), a few
 * token-by-MLP-width arrays, and a few head-by-token-by-token attention maps (scores,
 * softmax) that dominate at high resolution, where tokens grow with the square of the
 * side. On top come the two models' weights and, for every parameter (all are assumed
 * unlocked, which errs high), its gradient and AdamW's two moments. The constant factors
 * were calibrated against the process's resident peak on the demo teacher
 * ({@code MemoryEstimateTests}) and err on the high side.
 */
public final class MemoryEstimate {

	private static final long FLOAT = Float.BYTES;

	private static final long GIB = 1L << 30;

	/** Token-by-width arrays a block keeps per image. */
	private static final int WIDTH_ARRAYS = 12;

	/** Token-by-MLP-width arrays a block keeps per image. */
	private static final int MLP_ARRAYS = 3;

	/** Attention maps (head by token by token) a block keeps per image. */
	private static final int ATTENTION_ARRAYS = 3;

	/** Back-propagation's gradients are about as large again as the activations. */
	private static final int BACKWARD_FACTOR = 2;

	/** What the allocator holds on top of the larger phase, as a fraction of it. */
	private static final double PHASE_HEADROOM = 0.25;

	/** Weights of teacher and student, plus gradient and two AdamW moments. */
	private static final int WEIGHT_COPIES = 5;

	private final long teacherBytes;

	private final long studentBytes;

	private final long weightBytes;

	private MemoryEstimate(long teacherBytes, long studentBytes, long weightBytes) {
		this.teacherBytes = teacherBytes;
		this.studentBytes = studentBytes;
		this.weightBytes = weightBytes;
	}

	/**
	 * @param teacher the teacher's architecture
	 * @param resolution the training crop's side in pixels
	 * @param batchSize images per step
	 * @param views test-time views per image
	 * @param registers the student's new register tokens
	 * @param teacherChunk view-images per teacher pass, 0 for all of them at once
	 * ({@link ExecutionSettings#teacherChunk()})
	 */
	public static MemoryEstimate of(ViTConfig teacher, int resolution, int batchSize, int views, int registers,
			int teacherChunk) {
		long grid = resolution / teacher.patchSize();
		long teacherTokens = grid * grid + 1 + teacher.numRegisters();
		long studentTokens = teacherTokens + registers;
		long viewImages = (long) batchSize * views;
		long perPass = (teacherChunk > 0) ? Math.min(teacherChunk, viewImages) : viewImages;
		long features = viewImages * teacherTokens * teacher.embedDim() * FLOAT;
		long teacherPass = perPass * forwardBytes(teacher, teacherTokens) + features;
		long studentPass = (long) batchSize * BACKWARD_FACTOR * forwardBytes(teacher, studentTokens);
		long inputs = (long) batchSize * (views + 1) * 3 * resolution * resolution * FLOAT;
		return new MemoryEstimate(teacherPass + inputs, studentPass, WEIGHT_COPIES * parameters(teacher) * FLOAT);
	}

	/** What one image's forward pass through every block keeps. */
	private static long forwardBytes(ViTConfig config, long tokens) {
		long perBlock = WIDTH_ARRAYS * tokens * config.embedDim() + MLP_ARRAYS * tokens * config.mlpHiddenDim()
				+ ATTENTION_ARRAYS * config.numHeads() * tokens * tokens;
		return config.depth() * perBlock * FLOAT;
	}

	/** Parameters of the blocks and the patch embedding; norms and biases are noise. */
	private static long parameters(ViTConfig config) {
		long width = config.embedDim();
		long block = 4 * width * width + 2 * width * config.mlpHiddenDim();
		long patchEmbedding = 3L * config.patchSize() * config.patchSize() * width;
		return config.depth() * block + patchEmbedding + (long) config.positionEmbeddingLength() * width;
	}

	/**
	 * The teacher's largest pass and the features of all views, with the views
	 * themselves.
	 */
	public long teacherBytes() {
		return this.teacherBytes;
	}

	/** The student's forward pass and back-propagation. */
	public long studentBytes() {
		return this.studentBytes;
	}

	/** Both models' weights and the optimizer's state. */
	public long weightBytes() {
		return this.weightBytes;
	}

	public long totalBytes() {
		long phase = Math.max(this.teacherBytes, this.studentBytes);
		return phase + (long) (phase * PHASE_HEADROOM) + this.weightBytes;
	}

	/**
	 * Refuses a run whose step would need more than {@code limitBytes}.
	 * @throws MemoryLimitException with the estimate, the limit and what to lower
	 */
	public void check(long limitBytes) {
		if (totalBytes() > limitBytes) {
			throw new MemoryLimitException(String.format(Locale.ROOT,
					"A training step would need about %.1f GiB (teacher views %.1f GiB, student %.1f GiB, weights and "
							+ "optimizer %.1f GiB), more than the memory limit of %.1f GiB: lower resolution, "
							+ "batchSize or views",
					gib(totalBytes()), gib(this.teacherBytes), gib(this.studentBytes), gib(this.weightBytes),
					gib(limitBytes)));
		}
	}

	private static double gib(long bytes) {
		return (double) bytes / GIB;
	}

	@Override
	public String toString() {
		return String.format(Locale.ROOT, "MemoryEstimate[%.2f GiB]", gib(totalBytes()));
	}

	/** A run that would need more memory than the limit. */
	public static class MemoryLimitException extends IllegalArgumentException {

		MemoryLimitException(String message) {
			super(message);
		}

	}

}
