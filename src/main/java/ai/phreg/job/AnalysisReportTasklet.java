package ai.phreg.job;

import java.util.List;

import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The report of an analyze job: what ran, on what, its analysis and every artifact with
 * its SHA-256, as a distillation's report says it.
 */
class AnalysisReportTasklet extends JobStepTasklet {

	private final JobInputs inputs;

	private final JobOutputs outputs;

	AnalysisReportTasklet(String jobId, RunningJobs running, JobInputs inputs, JobOutputs outputs) {
		super(jobId, running);
		this.inputs = inputs;
		this.outputs = outputs;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws Exception {
		ExportTasklet.Report.write(this.outputs, this.inputs.prepared(this.jobId), List.of());
		return RepeatStatus.FINISHED;
	}

}
