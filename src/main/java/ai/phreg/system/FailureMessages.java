package ai.phreg.system;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import ai.djl.engine.EngineException;
import ai.phreg.checkpoint.InvalidCheckpointException;
import ai.phreg.checkpoint.safetensors.SafetensorsFormatException;
import ai.phreg.distill.MemoryEstimate.MemoryLimitException;
import ai.phreg.image.UnreadableImageException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Turns a failure into a sentence for the user: what went wrong in their terms and what
 * they can do, never a Java exception's name or a native library's internals. phreg's own
 * input exceptions already carry such a sentence; failures of the JVM, the file system
 * and libtorch that a user can act on get one here; anything else is an internal error,
 * reported with a reference under which the stack trace is logged.
 */
public final class FailureMessages {

	private static final Log logger = LogFactory.getLog(FailureMessages.class);

	private static final String LESS_MEMORY = "lower resolution, batchSize or views, or give the service more "
			+ "memory (phreg.memory-limit is the share a job may plan to use)";

	private FailureMessages() {
	}

	/** The sentence for {@code failure}; unknown failures are logged with a reference. */
	public static String describe(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			String known = known(cause);
			if (known != null) {
				return known;
			}
		}
		String reference = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
		logger.error("Internal error, reference " + reference, failure);
		return "Internal error: the server log has the details under reference " + reference + ".";
	}

	private static String known(Throwable failure) {
		if (failure instanceof UserFacingException || failure instanceof InvalidCheckpointException
				|| failure instanceof SafetensorsFormatException || failure instanceof UnreadableImageException
				|| failure instanceof MemoryLimitException) {
			return failure.getMessage();
		}
		if (failure instanceof OutOfMemoryError) {
			return "The job ran out of memory: " + LESS_MEMORY + ".";
		}
		if (failure instanceof EngineException && mentions(failure, "not enough memory", "out of memory")) {
			return "The deep learning engine could not allocate the memory the job needs: " + LESS_MEMORY + ".";
		}
		if (failure instanceof NegativeArraySizeException) {
			// An int size overflowed: an image or a batch was too large for one array.
			return "An input was too large to process (an image of extreme dimensions, or too large a batch): "
					+ "use smaller images, or lower resolution or batchSize.";
		}
		if (failure instanceof NoSuchFileException missing) {
			return "The file " + missing.getFile() + " does not exist (any more): check the job's teacher and "
					+ "images, then restart the job.";
		}
		if (failure instanceof AccessDeniedException denied) {
			return "The service may not read or write " + denied.getFile() + ": check the file's permissions, "
					+ "then restart the job.";
		}
		if (failure instanceof IOException && mentions(failure, "no space left on device")) {
			return "The disk of the storage root is full: free space or set phreg.storage-root to a larger disk, "
					+ "then restart the job.";
		}
		return null;
	}

	private static boolean mentions(Throwable failure, String... phrases) {
		String message = (failure.getMessage() != null) ? failure.getMessage().toLowerCase(Locale.ROOT) : "";
		for (String phrase : phrases) {
			if (message.contains(phrase)) {
				return true;
			}
		}
		return false;
	}

}
