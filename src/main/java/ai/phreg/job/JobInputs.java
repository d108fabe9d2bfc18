package ai.phreg.job;

import java.io.IOException;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.Determinism;
import ai.phreg.distill.ExecutionSettings;
import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.imagesource.ImageSubset;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

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

	private final JobFolders folders;

	private final JobOutputs outputs;

	private final DataSize targetCacheCap;

	/**
	 * @param outputs what earlier steps wrote, such as the register neurons
	 * @param targetCacheCap the largest target cache one job may need
	 */
	JobInputs(JobRecords records, ResolvedJobs resolved, Teachers teachers, JobImages images, Devices devices,
			JobFolders folders, JobOutputs outputs, @Value("${phreg.target-cache-cap:20GB}") DataSize targetCacheCap) {
		this.records = records;
		this.resolved = resolved;
		this.teachers = teachers;
		this.images = images;
		this.devices = devices;
		this.folders = folders;
		this.outputs = outputs;
		this.targetCacheCap = targetCacheCap;
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

	/**
	 * How the job computes: its determinism, its teacher's precision, its target cache in
	 * the storage root's shared cache folder (refusing a job whose cache would exceed the
	 * cap), and the register neurons its {@code neurons} step found, if any, so that no
	 * step searches for them again.
	 */
	ExecutionSettings execution(PreparedJob job) {
		DistillSpec spec = job.spec();
		TargetCacheSettings cache = spec.targetCache()
				? TargetCacheSettings.on(this.folders.targetCache())
					.withViewSets(spec.viewSets())
					.withCap(this.targetCacheCap.toBytes(), TargetCacheSettings.OverCap.REFUSE)
				: TargetCacheSettings.OFF;
		ExecutionSettings execution = ExecutionSettings.DEFAULT
			.withDeterminism(spec.deterministic() ? Determinism.EXACT : Determinism.DEFAULT)
			.withTargetCache(cache)
			.withTeacherPrecision(spec.teacherPrecision());
		RegisterNeuronReport neurons = this.outputs.registerNeurons(job.id());
		return (neurons != null) ? execution.withRegisterNeurons(neurons.found()) : execution;
	}

	/** Every image of the job's source, as it is now. */
	ImageSource images(PreparedJob job) throws IOException {
		return this.images.scan(job.spec().images());
	}

	ImageSubset.Split split(PreparedJob job) throws IOException {
		return this.images.split(job.spec().images(), job.resolved());
	}

}
