package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import ai.phreg.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.test.JobOperatorTestUtils;
import org.springframework.batch.test.context.SpringBatchTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.task.SyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.convention.TestBean;
import org.springframework.test.context.bean.override.mockito.MockitoSpyBean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.willAnswer;

/**
 * The {@code targets} step in local mode: it splits the training images into shards,
 * fills the target cache with exactly the targets training reads, rewrites nothing that
 * is there, and on a restart runs only the shards that did not complete.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
		properties = { "phreg.dispatch-interval=1h", "phreg.targets.grid-size=3" })
@SpringBatchTest
class TargetsStepTests {

	/** The job Spring Batch's test utilities wrap a step in. */
	private static final String STEP_TEST_JOB = "TestJob";

	@TempDir
	static Path storage;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("phreg.storage-root", () -> storage.toString());
		registry.add("phreg.allowed-roots", () -> storage.toString());
	}

	/** Steps run on the test's thread; the shards run on the step's own executor. */
	@TestBean(name = "batchTaskExecutor")
	TaskExecutor batchTaskExecutor;

	@Autowired
	JobOperatorTestUtils batch;

	@Autowired
	Job distillJob;

	@Autowired
	JobRecords records;

	@Autowired
	JobFolders folders;

	@Autowired
	RunningJobs running;

	/** The real leases on the target cache, which a test may stop a step in. */
	@MockitoSpyBean
	TargetPrefills prefills;

	@Autowired
	ResolvedJobs resolved;

	@Autowired
	JobRepository repository;

	static TaskExecutor batchTaskExecutor() {
		return new SyncTaskExecutor();
	}

	/**
	 * The application runs a job of each kind ({@code distillJob}, {@code analyzeJob}):
	 * the test utilities are told which one these steps belong to.
	 */
	@BeforeEach
	void stepsOfTheDistillJob() {
		this.batch.setJob(this.distillJob);
	}

	@Test
	void theShardsFillTheCacheThatTrainingThenOnlyReads() throws Exception {
		// given a demo job (4 training images, 3 epochs) caching 2 view sets
		String jobId = submit(spec("demo", true, 2));
		runStep(JobPhase.PREPARE, jobId);
		Map<String, String> before = TargetShards.of(this.folders.targetCache());

		// when its targets step runs
		Launched targets = runStep(JobPhase.TARGETS, jobId);

		// then 3 shards computed every image's 2 view sets
		assertThat(targets.status()).isEqualTo(BatchStatus.COMPLETED);
		assertThat(shards(targets)).hasSize(3).allMatch((shard) -> shard.getStatus() == BatchStatus.COMPLETED);
		assertThat(
				shards(targets).stream().mapToInt((shard) -> shard.getExecutionContext().getInt(TargetsTasklet.DONE)))
			.containsExactlyInAnyOrder(1, 1, 2);
		Map<String, String> filled = TargetShards.of(this.folders.targetCache());
		assertThat(filled).containsAllEntriesOf(before).hasSize(before.size() + 4 * 2);
		Map<String, FileTime> written = modificationTimes();

		// and training finds every target there: it adds and rewrites no shard
		assertThat(runStep(JobPhase.DISTILL, jobId).status()).isEqualTo(BatchStatus.COMPLETED);
		assertThat(TargetShards.of(this.folders.targetCache())).isEqualTo(filled);
		assertThat(modificationTimes()).isEqualTo(written);

		// and another job over the same teacher, images and draws finds them too
		String again = submit(spec("demo", true, 2));
		runStep(JobPhase.PREPARE, again);
		assertThat(runStep(JobPhase.TARGETS, again).status()).isEqualTo(BatchStatus.COMPLETED);
		assertThat(modificationTimes()).isEqualTo(written);
	}

	@Test
	void aJobWithoutTargetCacheHasNoShardsToRun() throws Exception {
		String jobId = submit(spec("demo", false, 2));
		runStep(JobPhase.PREPARE, jobId);
		Map<String, String> before = TargetShards.of(this.folders.targetCache());

		Launched targets = runStep(JobPhase.TARGETS, jobId);

		assertThat(targets.status()).isEqualTo(BatchStatus.COMPLETED);
		assertThat(shards(targets)).isEmpty();
		assertThat(TargetShards.of(this.folders.targetCache())).isEqualTo(before);
	}

	@Test
	void aRestartRunsOnlyTheShardsThatDidNotComplete() throws Exception {
		// given a job over 9 photos whose targets step is stopped as its second shard
		// begins (the shards run one after the other), once the first completed
		String jobId = submit(spec(photos(9).toString(), true, 1));
		runStep(JobPhase.PREPARE, jobId);
		Map<String, String> before = TargetShards.of(this.folders.targetCache());
		JobParameters parameters = parameters(jobId);
		AtomicInteger shardsBegun = new AtomicInteger();
		willAnswer((call) -> {
			if (shardsBegun.incrementAndGet() == 2) {
				this.running.requestStop(jobId);
			}
			return call.callRealMethod();
		}).given(this.prefills).acquire(jobId);
		Launched stopped = startStep(JobPhase.TARGETS, parameters);
		this.running.forget(jobId);
		assertThat(stopped.status()).isEqualTo(BatchStatus.STOPPED);
		Map<String, BatchStatus> firstRun = byName(shards(stopped));
		assertThat(firstRun.values()).contains(BatchStatus.COMPLETED).contains(BatchStatus.STOPPED);

		// when the step is restarted
		Launched restarted = startStep(JobPhase.TARGETS, parameters);

		// then it ran exactly the shards that had not completed, and completed them
		assertThat(restarted.status()).isEqualTo(BatchStatus.COMPLETED);
		Map<String, BatchStatus> secondRun = byName(shards(restarted));
		assertThat(secondRun.keySet()).containsExactlyInAnyOrderElementsOf(firstRun.entrySet()
			.stream()
			.filter((shard) -> shard.getValue() != BatchStatus.COMPLETED)
			.map(Map.Entry::getKey)
			.toList());
		assertThat(secondRun.values()).containsOnly(BatchStatus.COMPLETED);
		assertThat(TargetShards.of(this.folders.targetCache()))
			.hasSize(before.size() + this.resolved.read(jobId).trainingImages());
	}

	/** A folder of the first {@code count} sample photos. */
	private static Path photos(int count) throws IOException {
		Path folder = Files.createDirectories(storage.resolve("photos-" + count));
		try (Stream<Path> photos = Files.list(Fixtures.photos())) {
			for (Path photo : photos.filter((file) -> file.toString().endsWith(".jpg"))
				.sorted()
				.limit(count)
				.toList()) {
				Files.copy(photo, folder.resolve(photo.getFileName()), StandardCopyOption.REPLACE_EXISTING);
			}
		}
		return folder;
	}

	private Map<String, FileTime> modificationTimes() throws Exception {
		Map<String, FileTime> times = new HashMap<>();
		try (Stream<Path> files = Files.walk(this.folders.targetCache())) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				times.put(file.toString(), Files.getLastModifiedTime(file));
			}
		}
		return times;
	}

	private static List<StepExecution> shards(Launched launched) {
		return shards(launched.execution());
	}

	private static List<StepExecution> shards(JobExecution execution) {
		return execution.getStepExecutions()
			.stream()
			.filter((step) -> step.getStepName().startsWith(TargetsStepConfiguration.WORKER_STEP + ":"))
			.toList();
	}

	private static Map<String, BatchStatus> byName(List<StepExecution> shards) {
		Map<String, BatchStatus> statuses = new HashMap<>();
		shards.forEach((shard) -> statuses.put(shard.getStepName(), shard.getStatus()));
		return statuses;
	}

	/**
	 * Runs one step for the job. (Returns no {@code JobExecution}: the step-scope test
	 * listener would take such a method for a factory of its own.)
	 */
	private Launched runStep(JobPhase phase, String jobId) {
		return startStep(phase,
				this.batch.getUniqueJobParametersBuilder().addString(JobIds.PARAMETER, jobId).toJobParameters());
	}

	private Launched startStep(JobPhase phase, JobParameters parameters) {
		return new Launched(this.batch.startStep(phase.stepName(), parameters, new ExecutionContext()));
	}

	private record Launched(JobExecution execution) {

		BatchStatus status() {
			return this.execution.getStatus();
		}

	}

	private JobParameters parameters(String jobId) {
		return new JobParametersBuilder().addString(JobIds.PARAMETER, jobId).toJobParameters();
	}

	private String submit(DistillSpec spec) {
		String jobId = UUID.randomUUID().toString();
		this.records.insert(JobRecord.submitted(jobId, null, spec, "cpu", Instant.now()));
		return jobId;
	}

	private static DistillSpec spec(String images, boolean targetCache, int viewSets) {
		return new DistillSpec("demo", images, 4, Unlock.DEFAULT, List.of(), 4, 0.15, null, 4, null, 3L, null, null,
				0.01, 1, "cpu", 2, List.of(), null, null, false, targetCache, viewSets);
	}

}
