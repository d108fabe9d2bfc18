package ai.phreg.job;

import java.io.IOException;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.imagesource.ImageSubset;
import org.springframework.stereotype.Component;

/**
 * What the steps of a job work with: the job as {@code prepare} resolved it, a memory
 * manager on its device, its teacher and its split images, each resolved the same way for
 * every step.
 */
@Component
class JobInputs {

	private final JobRecords records;

	private final ResolvedJobs resolved;

	private final Teachers teachers;

	private final JobImages images;

	private final Devices devices;

	JobInputs(JobRecords records, ResolvedJobs resolved, Teachers teachers, JobImages images, Devices devices) {
		this.records = records;
		this.resolved = resolved;
		this.teachers = teachers;
		this.images = images;
		this.devices = devices;
	}

	/**
	 * Resolves a job from its spec, its teacher's header and its image count, once, for
	 * the later steps.
	 */
	void prepare(String jobId) throws IOException {
		DistillSpec spec = this.records.spec(jobId);
		TeacherDescription teacher = this.teachers.describe(spec.teacher(), spec.heads());
		int count = this.images.scan(spec.images()).size();
		this.resolved.write(jobId, ResolvedJob.of(spec, teacher, count));
	}

	/** A job {@link #prepare} resolved. */
	PreparedJob prepared(String jobId) throws IOException {
		return new PreparedJob(jobId, this.records.spec(jobId), this.resolved.read(jobId));
	}

	/** A manager on the job's device; the caller closes it. */
	NDManager newManager(PreparedJob job) {
		return NDManager.newBaseManager(this.devices.of(job.spec().device()));
	}

	LoadedModel teacher(PreparedJob job, NDManager manager) throws IOException {
		return this.teachers.load(job.spec().teacher(), job.spec().heads(), manager);
	}

	ImageSubset.Split split(PreparedJob job) throws IOException {
		return this.images.split(job.spec().images(), job.resolved());
	}

}
