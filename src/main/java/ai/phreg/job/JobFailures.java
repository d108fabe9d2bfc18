package ai.phreg.job;

import java.util.List;

import ai.phreg.system.FailureMessages;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.stereotype.Component;

/**
 * Puts a sentence for the user at the head of a failed execution's exit description, in
 * place of the Java exception Spring Batch writes there: the repository keeps the
 * description, not the exception, and a job's view shows the description's first line.
 * The stack trace Spring Batch wrote follows on the next lines, for the operator.
 */
@Component
class JobFailures implements JobExecutionListener {

	@Override
	public void afterJob(JobExecution execution) {
		List<Throwable> failures = execution.getAllFailureExceptions();
		if (execution.getStatus() != BatchStatus.FAILED || failures.isEmpty()) {
			return;
		}
		String sentence = describe(failures.get(0)).replaceAll("\\s*\\R\\s*", " ").strip();
		String trace = execution.getExitStatus().getExitDescription();
		execution.setExitStatus(
				new ExitStatus(ExitStatus.FAILED.getExitCode(), trace.isBlank() ? sentence : sentence + "\n" + trace));
	}

	/**
	 * The sentence for a failure: an invalid spec lists its fields, everything else goes
	 * through {@link FailureMessages}.
	 */
	static String describe(Throwable failure) {
		if (failure instanceof InvalidSpecException invalid) {
			StringBuilder sentence = new StringBuilder("Invalid job spec:");
			invalid.fieldErrors()
				.forEach((field,
						problem) -> sentence.append(' ').append(field).append(": ").append(problem).append(';'));
			return sentence.substring(0, sentence.length() - 1);
		}
		return FailureMessages.describe(failure);
	}

}
