package ai.phreg.job;

import java.io.IOException;

import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * Resolves the job once, from the teacher's header and the image count, and writes the
 * {@link ResolvedJob} the later steps read.
 */
class PrepareTasklet extends JobStepTasklet {

	private final JobRecords records;

	private final Teachers teachers;

	private final JobImages images;

	private final ResolvedJobs resolved;

	PrepareTasklet(String jobId, RunningJobs running, JobRecords records, Teachers teachers, JobImages images,
			ResolvedJobs resolved) {
		super(jobId, running);
		this.records = records;
		this.teachers = teachers;
		this.images = images;
		this.resolved = resolved;
	}

	@Override
	protected RepeatStatus execute(StepExecution step) throws IOException {
		DistillSpec spec = this.records.spec(this.jobId);
		TeacherDescription teacher = this.teachers.describe(spec.teacher());
		int count = this.images.scan(spec.images()).size();
		this.resolved.write(this.jobId, ResolvedJob.of(spec, teacher, count));
		return RepeatStatus.FINISHED;
	}

}
