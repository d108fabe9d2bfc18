package ai.phreg.checkpoint.safetensors;

/**
 * How large a header the reader agrees to parse. The format itself allows 100 MB of JSON,
 * but parsing costs several times the header in heap: a 50 MB metadata string or 200,000
 * tensor entries took over 600 MB. Real headers are far smaller: a ViT-g checkpoint has
 * about 600 tensors and 100 KB of header, and even a 70B-parameter language model keeps
 * under a thousand tensors (about 150 bytes of JSON each) per file. The defaults leave an
 * order of magnitude of room above those and keep the worst header the reader parses to
 * roughly 100 MB of heap.
 *
 * @param maxHeaderBytes largest JSON header accepted, at most the format's 100 MB
 * @param maxTensors largest number of tensor entries accepted in one file
 */
public record SafetensorsLimits(long maxHeaderBytes, int maxTensors) {

	/** The format's own limit; the reference implementation refuses larger headers. */
	public static final long FORMAT_MAX_HEADER_BYTES = 100_000_000;

	/** 16 MiB of header and 65,536 tensors, see the class comment. */
	public static final SafetensorsLimits DEFAULTS = new SafetensorsLimits(16L << 20, 65_536);

	public SafetensorsLimits {
		if (maxHeaderBytes < 2 || maxHeaderBytes > FORMAT_MAX_HEADER_BYTES) {
			throw new IllegalArgumentException("maxHeaderBytes must be between 2 (for '{}') and the format's limit of "
					+ FORMAT_MAX_HEADER_BYTES + ", not " + maxHeaderBytes);
		}
		if (maxTensors < 0) {
			throw new IllegalArgumentException("maxTensors must not be negative, not " + maxTensors);
		}
	}

}
