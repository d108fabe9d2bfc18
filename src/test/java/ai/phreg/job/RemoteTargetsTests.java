package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.PhregApplication;
import ai.phreg.distill.TargetPrefill;
import ai.phreg.distill.cache.TargetCacheSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code targets} step scaled out for real: this JVM is the manager
 * ({@code phreg.targets.mode=remote}), two worker JVMs of the same classpath run the
 * {@code worker} profile, RabbitMQ (127.0.0.1:5672, guest) carries the shard requests and
 * a fresh database on the local PostgreSQL server is the shared job repository. Every
 * wait polls a state with a deadline.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
		properties = { "phreg.targets.mode=remote", "phreg.targets.grid-size=4", "phreg.targets.poll-interval=200ms",
				"phreg.dispatch-interval=200ms" })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteTargetsTests {

	private static final Duration WORKER_START = Duration.ofMinutes(4);

	private static final Duration JOB_RUN = Duration.ofMinutes(10);

	@TempDir
	static Path storage;

	private static String database;

	private static final List<Process> workers = new ArrayList<>();

	@Autowired
	JobService jobs;

	@Autowired
	JobRepository repository;

	@Autowired
	JobInputs inputs;

	@Autowired
	JobFolders folders;

	@Autowired
	AmqpAdmin admin;

	@Autowired
	RabbitTemplate rabbit;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws SQLException {
		database = "phreg_remote_" + UUID.randomUUID().toString().replace("-", "");
		try (Connection server = DriverManager.getConnection(postgres() + "postgres", "postgres", "");
				Statement statement = server.createStatement()) {
			statement.execute("create database " + database);
		}
		registry.add("spring.datasource.url", () -> postgres() + database);
		registry.add("spring.datasource.username", () -> "postgres");
		registry.add("spring.datasource.password", () -> "");
		registry.add("phreg.storage-root", () -> storage.toString());
		registry.add("phreg.allowed-roots", () -> storage.toString());
	}

	@BeforeAll
	static void purgeQueues(@Autowired AmqpAdmin admin) {
		// The queues are durable: another run may have left requests or dead letters.
		admin.purgeQueue(RemoteTargetsConfiguration.REQUESTS, false);
		admin.purgeQueue(RemoteTargetsConfiguration.DEAD_LETTERS, false);
	}

	@AfterAll
	static void stopWorkersAndDropDatabase() throws Exception {
		for (Process worker : workers) {
			worker.destroyForcibly().waitFor();
		}
		if (database != null) {
			try (Connection server = DriverManager.getConnection(postgres() + "postgres", "postgres", "");
					Statement statement = server.createStatement()) {
				statement.execute("drop database if exists " + database + " with (force)");
			}
		}
	}

	@Test
	@Order(1)
	void malformedRequestsGoToTheDeadLettersAndWorkersGoOn() throws Exception {
		startWorkers(2);

		this.rabbit.convertAndSend(RemoteTargetsConfiguration.REQUESTS, "not a shard request");
		this.rabbit.convertAndSend(RemoteTargetsConfiguration.REQUESTS,
				"{\"stepName\":\"targetsWorker\",\"stepExecutionId\":987654321}");

		await("both requests dead-lettered", () -> depth(RemoteTargetsConfiguration.DEAD_LETTERS) == 2,
				Duration.ofMinutes(1));
		assertThat(depth(RemoteTargetsConfiguration.REQUESTS)).isZero();
		assertThat(workers).allMatch(Process::isAlive);
		assertThat(consumers()).as("both workers still consume").isEqualTo(2);
	}

	@Test
	@Order(2)
	void twoWorkerProcessesComputeTheSameTargetsAsOneProcess() throws Exception {
		startWorkers(2);
		String jobId = this.jobs.submit(spec(1), null).id();

		JobView done = awaitJob(jobId);

		assertThat(done.state()).as("job %s: %s", jobId, done.errors()).isEqualTo(JobState.COMPLETED);
		List<StepExecution> shards = shards(jobId);
		assertThat(shards).hasSize(4).allMatch((shard) -> shard.getStatus() == BatchStatus.COMPLETED);
		assertThat(shards.stream().map((shard) -> shard.getExecutionContext().getString(TargetsTasklet.WORKER)))
			.as("shards ran in the worker processes, not here")
			.doesNotContain(TargetsStepConfiguration.WORKER_NAME);
		assertThat(TargetShards.of(this.folders.targetCache())).containsAllEntriesOf(singleProcess(jobId));
		printTargetsTime(jobId, 2);
	}

	@Test
	@Order(3)
	void aWorkerKilledMidShardLeavesItsShardToAnotherAndTheTargetsStayTheSame() throws Exception {
		startWorkers(2);
		String jobId = this.jobs.submit(spec(2), null).id();
		await("both workers in a shard", () -> running(jobId) == 2, JOB_RUN);

		Process killed = workers.remove(0);
		killed.destroyForcibly().waitFor();

		JobView done = awaitJob(jobId);
		assertThat(done.state()).as("job %s: %s", jobId, done.errors()).isEqualTo(JobState.COMPLETED);
		assertThat(shards(jobId)).hasSize(4).allMatch((shard) -> shard.getStatus() == BatchStatus.COMPLETED);
		Map<String, String> expected = singleProcess(jobId);
		assertThat(TargetShards.of(this.folders.targetCache())).containsAllEntriesOf(expected);
	}

	@Test
	@Order(4)
	void theWorkerLeftAloneRunsAnotherJobsShards() throws Exception {
		startWorkers(1);
		String jobId = this.jobs.submit(spec(3), null).id();

		JobView done = awaitJob(jobId);

		assertThat(done.state()).as("job %s: %s", jobId, done.errors()).isEqualTo(JobState.COMPLETED);
		assertThat(TargetShards.of(this.folders.targetCache())).containsAllEntriesOf(singleProcess(jobId));
		printTargetsTime(jobId, 1);
	}

	/**
	 * The targets step's wall time, for the scaling note (a figure, not an assertion).
	 */
	private void printTargetsTime(String jobId, int workerCount) throws IOException {
		JobExecution execution = this.repository.getLastJobExecution(DistillJobConfiguration.JOB_NAME,
				new JobParametersBuilder().addString(JobIds.PARAMETER, jobId).toJobParameters());
		StepExecution targets = execution.getStepExecutions()
			.stream()
			.filter((step) -> step.getStepName().equals(JobPhase.TARGETS.stepName()))
			.findFirst()
			.orElseThrow();
		System.out.printf(Locale.ROOT, "targets step with %d worker process(es): %.1f s for %d images%n", workerCount,
				Duration.between(targets.getStartTime(), targets.getEndTime()).toMillis() / 1e3,
				this.inputs.prepared(jobId).resolved().trainingImages());
	}

	/** Starts worker JVMs until {@code count} run and consume. */
	private void startWorkers(int count) throws Exception {
		workers.removeIf((worker) -> !worker.isAlive());
		while (workers.size() < count) {
			Path log = storage.resolve("worker-" + UUID.randomUUID() + ".log");
			workers.add(new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx1g", "-cp",
					System.getProperty("java.class.path"), "-Dai.djl.offline=true", PhregApplication.class.getName(),
					"--spring.profiles.active=worker", "--spring.datasource.url=" + postgres() + database,
					"--spring.datasource.username=postgres", "--spring.datasource.password=",
					"--phreg.storage-root=" + storage, "--phreg.allowed-roots=" + storage)
				.redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start());
		}
		await(count + " workers consuming", () -> consumers() == count, WORKER_START);
	}

	/** The job's targets computed by one process, here, into a folder of their own. */
	private Map<String, String> singleProcess(String jobId) throws IOException {
		Path folder = storage.resolve("single-process-" + jobId);
		PreparedJob job = this.inputs.prepared(jobId);
		try (NDManager manager = this.inputs.newManager(job)) {
			TargetCacheSettings cache = TargetCacheSettings.on(folder).withViewSets(job.spec().viewSets());
			TargetPrefill prefill = TargetPrefill.open(job.resolved().settings(),
					this.inputs.execution(job).withTargetCache(cache), this.inputs.teacher(job, manager),
					this.inputs.split(job).training(), manager);
			prefill.fill(0, prefill.images());
		}
		Map<String, String> shards = TargetShards.of(folder);
		assertThat(shards).hasSize(job.resolved().trainingImages() * job.spec().viewSets());
		return shards;
	}

	private JobView awaitJob(String jobId) throws InterruptedException {
		await("job " + jobId + " ended", () -> {
			JobState state = this.jobs.get(jobId).state();
			return state == JobState.COMPLETED || state == JobState.FAILED || state == JobState.STOPPED;
		}, JOB_RUN);
		return this.jobs.get(jobId);
	}

	private List<StepExecution> shards(String jobId) {
		JobExecution execution = this.repository.getLastJobExecution(DistillJobConfiguration.JOB_NAME,
				new JobParametersBuilder().addString(JobIds.PARAMETER, jobId).toJobParameters());
		if (execution == null) {
			return List.of();
		}
		return execution.getStepExecutions()
			.stream()
			.filter((step) -> step.getStepName().startsWith(TargetsStepConfiguration.WORKER_STEP + ":"))
			// Read again, with the execution context the worker left.
			.map((step) -> this.repository.getStepExecution(step.getId()))
			.toList();
	}

	private long running(String jobId) {
		return shards(jobId).stream().filter((shard) -> shard.getStatus() == BatchStatus.STARTED).count();
	}

	private long depth(String queue) {
		QueueInformation information = this.admin.getQueueInfo(queue);
		return (information != null) ? information.getMessageCount() : -1;
	}

	private long consumers() {
		QueueInformation information = this.admin.getQueueInfo(RemoteTargetsConfiguration.REQUESTS);
		return (information != null) ? information.getConsumerCount() : -1;
	}

	private static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		while (!condition.getAsBoolean()) {
			assertThat(Instant.now()).as("waiting for %s", what).isBefore(deadline);
			assertThat(workers).as("worker processes").allMatch(Process::isAlive);
			Thread.sleep(200);
		}
	}

	/** A small job over 8 photos, each worker's shards long enough to be caught in. */
	private static DistillSpec spec(long seed) throws IOException {
		Path images = storage.resolve("photos");
		Files.createDirectories(images);
		try (Stream<Path> photos = Files.list(Fixtures.photos())) {
			for (Path photo : photos.filter((file) -> file.toString().endsWith(".jpg")).sorted().limit(10).toList()) {
				Files.copy(photo, images.resolve(photo.getFileName()), StandardCopyOption.REPLACE_EXISTING);
			}
		}
		return new DistillSpec("demo", images.toString(), 4, Unlock.DEFAULT, List.of(), 4, 0.15, null, 4, null, 2L,
				null, null, 0.01, seed, "cpu", 2, List.of(), 2, null, true, true, 1);
	}

	private static String postgres() {
		String configured = System.getenv("PHREG_TEST_POSTGRES");
		return (configured != null && !configured.isBlank()) ? configured : "jdbc:postgresql://127.0.0.1:5432/";
	}

}
