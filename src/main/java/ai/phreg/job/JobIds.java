package ai.phreg.job;

/**
 * The identifying job parameter of {@code distillJob}: the phreg job id an execution runs
 * for.
 */
final class JobIds {

	static final String PARAMETER = "jobId";

	private JobIds() {
	}

}
