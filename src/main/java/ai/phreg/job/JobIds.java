package ai.phreg.job;

import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepExecution;

/**
 * The phreg job id a Spring Batch execution runs for, from its identifying job parameter.
 */
final class JobIds {

	static final String PARAMETER = "jobId";

	private JobIds() {
	}

	static String of(StepExecution stepExecution) {
		return stepExecution.getJobExecution().getJobParameters().getString(PARAMETER);
	}

	static String of(ChunkContext chunkContext) {
		return of(chunkContext.getStepContext().getStepExecution());
	}

}
