package ai.phreg.checkpoint;

/**
 * What loading a checkpoint held besides the model itself: values stream from the
 * memory-mapped files into the parameters a bounded piece at a time, so a checkpoint
 * never sits in memory twice (file and model, or two models).
 *
 * @param stagingBytes the one float32 buffer every piece is converted into before the
 * engine copies it into its parameter: the largest parameter, at most
 * {@link CheckpointLoader#STAGING_BYTES}
 * @param largestMapping the largest region of a checkpoint file mapped at once
 * @param mappedBytesLeft bytes of the checkpoint files still mapped when loading ended;
 * zero, as every read releases its mapping
 */
public record LoadFootprint(long stagingBytes, long largestMapping, long mappedBytesLeft) {

	/** For models built rather than loaded. */
	public static final LoadFootprint NONE = new LoadFootprint(0, 0, 0);

}
