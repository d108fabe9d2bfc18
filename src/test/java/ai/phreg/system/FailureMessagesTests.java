package ai.phreg.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.djl.engine.EngineException;
import ai.phreg.checkpoint.InvalidCheckpointException;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.MemoryEstimate;
import ai.phreg.image.UnreadableImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

@ExtendWith(OutputCaptureExtension.class)
class FailureMessagesTests {

	@Test
	void phregsOwnInputFailuresKeepTheirSentence() {
		assertThat(FailureMessages.describe(new InvalidCheckpointException("The checkpoint has no patch embedding")))
			.isEqualTo("The checkpoint has no patch embedding");
		assertThat(FailureMessages
			.describe(new RuntimeException(new UnreadableImageException("a.png", "the file is not a PNG"))))
			.isEqualTo("Cannot read image a.png: the file is not a PNG");
		assertThat(FailureMessages.describe(new IllegalStateException(new UserFacingException("Submit it again."))))
			.isEqualTo("Submit it again.");
	}

	@Test
	void theMemoryLimitRefusalIsPassedOn() {
		Throwable refusal = catchThrowable(() -> MemoryEstimate.of(DemoTeacher.config(), 224, 8, 10, 16, 0).check(1));
		assertThat(FailureMessages.describe(refusal)).isEqualTo(refusal.getMessage()).contains("GiB");
	}

	@Test
	void runningOutOfMemorySaysWhatToLower() {
		assertThat(FailureMessages.describe(new OutOfMemoryError("Java heap space")))
			.startsWith("The job ran out of memory: lower resolution, batchSize or views");
		assertThat(FailureMessages.describe(new EngineException(
				"[enforce fail at alloc_cpu.cpp:119] DefaultCPUAllocator: not enough memory: you tried to allocate 28991029248 bytes.")))
			.startsWith("The deep learning engine could not allocate the memory the job needs: lower resolution")
			.doesNotContain("alloc_cpu")
			.doesNotContain("28991029248");
	}

	@Test
	void anOverflowingSizeIsNotNamedAsAJavaException() {
		String message = FailureMessages.describe(new NegativeArraySizeException("-1794967296"));

		assertThat(message).startsWith("An input was too large to process")
			.doesNotContain("NegativeArraySize")
			.doesNotContain("-1794967296");
	}

	@Test
	void fileSystemFailuresNameTheFileAndTheRemedy() {
		assertThat(FailureMessages.describe(new UncheckedIOException(new NoSuchFileException("/data/images/a.jpg"))))
			.isEqualTo("The file /data/images/a.jpg does not exist (any more): check the job's teacher and images, "
					+ "then restart the job.");
		assertThat(FailureMessages.describe(new AccessDeniedException("/data/t.safetensors")))
			.startsWith("The service may not read or write /data/t.safetensors: check the file's permissions");
		assertThat(FailureMessages.describe(new IOException("No space left on device")))
			.startsWith("The disk of the storage root is full");
	}

	@Test
	void anythingElseIsAnInternalErrorWhoseReferenceIsInTheLog(CapturedOutput log) {
		String message = FailureMessages
			.describe(new IllegalArgumentException("No values to bin among 0 on a LOGARITHMIC scale"));

		Matcher reference = Pattern.compile("Internal error: the server log has the details under reference (\\w+)\\.")
			.matcher(message);
		assertThat(reference.matches()).as(message).isTrue();
		assertThat(message).doesNotContain("IllegalArgument").doesNotContain("LOGARITHMIC");
		assertThat(log).contains("Internal error, reference " + reference.group(1))
			.contains("java.lang.IllegalArgumentException: No values to bin");
	}

	@Test
	void eachInternalErrorHasItsOwnReference() {
		assertThat(FailureMessages.describe(new IllegalStateException("x")))
			.isNotEqualTo(FailureMessages.describe(new IllegalStateException("x")));
	}

}
