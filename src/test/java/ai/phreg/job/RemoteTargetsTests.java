package ai.phreg.job;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.HashMap;
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

	private static final List<Worker> workers = new ArrayList<>();

	private static final HttpClient http = HttpClient.newHttpClient();

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
		for (Worker worker : workers) {
			worker.process().destroyForcibly().waitFor();
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
		assertThat(workers).allMatch(Worker::isAlive);
		assertThat(consumers()).as("both workers still consume").isEqualTo(2);
	}

	@Test
	@Order(2)
	void aWorkerServesOnlyHealthAndMetricsOverHttp() throws Exception {
		startWorkers(2);
		Worker worker = workers.get(0);

		assertThat(get(worker, "/actuator/health/liveness").body()).contains("\"UP\"");
		assertThat(get(worker, "/actuator/health/readiness").body()).contains("\"UP\"")
			.contains("\"rabbit\"")
			.contains("\"db\"");
		assertThat(get(worker, "/actuator/health/rabbit").body()).contains("\"UP\"");
		assertThat(get(worker, "/actuator/health/db").body()).contains("\"UP\"");
		assertThat(get(worker, "/actuator/prometheus").body()).contains("phreg_targets_queue_depth");
		for (String absent : List.of("/api/jobs", "/api/job-defaults", "/jobs", "/", "/index.html", "/v3/api-docs",
				"/actuator/info")) {
			assertThat(get(worker, absent).statusCode()).as("GET %s on a worker", absent).isEqualTo(404);
		}
	}

	@Test
	@Order(3)
	void twoWorkerProcessesComputeTheSameTargetsAsOneProcess() throws Exception {
		startWorkers(2);
		Map<Worker, String> before = scrapes();
		String jobId = this.jobs.submit(spec(1, 10), null).id();

		JobView done = awaitJob(jobId);

		assertThat(done.state()).as("job %s: %s", jobId, done.errors()).isEqualTo(JobState.COMPLETED);
		List<StepExecution> shards = shards(jobId);
		assertThat(shards).hasSize(4).allMatch((shard) -> shard.getStatus() == BatchStatus.COMPLETED);
		assertThat(shards.stream().map((shard) -> shard.getExecutionContext().getString(TargetsTasklet.WORKER)))
			.as("shards ran in the worker processes, not here")
			.doesNotContain(TargetsStepConfiguration.WORKER_NAME);
		assertThat(TargetShards.of(this.folders.targetCache())).containsAllEntriesOf(singleProcess(jobId));
		printTargetsTime(jobId, 2);

		// Each worker's own meters, scraped over HTTP and told apart by its name.
		Map<Worker, String> after = scrapes();
		for (Worker worker : workers) {
			assertThat(after.get(worker)).contains("worker=\"" + worker.name() + "\"");
		}
		assertThat(increase(before, after, "phreg_targets_partitions_total", "outcome=\"completed\""))
			.as("partitions completed by the workers")
			.isEqualTo(4);
		assertThat(increase(before, after, "phreg_targets_images_total"))
			.isEqualTo(this.inputs.prepared(jobId).resolved().trainingImages());
		for (Worker worker : workers.stream()
			.filter((worker) -> shards.stream()
				.anyMatch(
						(shard) -> worker.name().equals(shard.getExecutionContext().getString(TargetsTasklet.WORKER))))
			.toList()) {
			assertThat(sample(after.get(worker), "phreg_targets_images_rate")).as("images/s of %s", worker.name())
				.isPositive();
		}
		assertThat(sample(after.get(workers.get(0)), "phreg_targets_queue_depth")).isZero();
	}

	@Test
	@Order(4)
	void aWorkerKilledMidShardLeavesItsShardToAnotherAndTheTargetsStayTheSame() throws Exception {
		startWorkers(2);
		// Shards of eight or nine images: both workers are in one for most of the run.
		String jobId = this.jobs.submit(spec(2, 36), null).id();
		await("both workers in a shard", () -> running(jobId) == 2, JOB_RUN);

		Worker killed = workers.remove(0);
		killed.process().destroyForcibly().waitFor();
		// As a writer killed mid-write leaves it: the shard's re-run removes it.
		Path abandoned = Files.createDirectories(this.folders.targetCache().resolve("00"))
			.resolve(".00killed.safetensors.0.tmp");
		Files.write(abandoned, new byte[] { 1, 2, 3 });

		JobView done = awaitJob(jobId);
		assertThat(done.state()).as("job %s: %s", jobId, done.errors()).isEqualTo(JobState.COMPLETED);
		assertThat(shards(jobId)).hasSize(4).allMatch((shard) -> shard.getStatus() == BatchStatus.COMPLETED);
		Map<String, String> expected = singleProcess(jobId);
		assertThat(TargetShards.of(this.folders.targetCache())).containsAllEntriesOf(expected);
		assertThat(TargetShards.temporaryFiles(this.folders.targetCache())).as("temporary files left").isEmpty();
		assertThat(TargetShards.unverified(this.folders.targetCache())).as("shards that do not verify").isEmpty();
	}

	@Test
	@Order(5)
	void theWorkerLeftAloneRunsAnotherJobsShards() throws Exception {
		startWorkers(1);
		String jobId = this.jobs.submit(spec(3, 10), null).id();

		JobView done = awaitJob(jobId);

		assertThat(done.state()).as("job %s: %s", jobId, done.errors()).isEqualTo(JobState.COMPLETED);
		assertThat(TargetShards.of(this.folders.targetCache())).containsAllEntriesOf(singleProcess(jobId));
		printTargetsTime(jobId, 1);
	}

	@Test
	@Order(6)
	void aStopReachesTheWorkerMidShardAndARestartComputesOnlyWhatIsLeft() throws Exception {
		startWorkers(1);
		Worker worker = workers.get(0);
		double imagesBefore = sample(scrape(worker), "phreg_targets_images_total");
		// Shards of eight or nine images: the stop lands while one has most of its images
		// left.
		String jobId = this.jobs.submit(spec(4, 36), null).id();
		await("a shard one image in", () -> shards(jobId).stream()
			.anyMatch((shard) -> shard.getStatus() == BatchStatus.STARTED && done(shard) >= 1), JOB_RUN);

		this.jobs.stop(jobId);

		assertThat(awaitJob(jobId).state()).isEqualTo(JobState.STOPPED);
		List<StepExecution> stopped = shards(jobId);
		assertThat(stopped).hasSize(4).noneMatch((shard) -> shard.getStatus() == BatchStatus.FAILED);
		assertThat(stopped).as("a shard stopped between its images, what it wrote kept")
			.anyMatch((shard) -> shard.getStatus() == BatchStatus.STOPPED && done(shard) >= 1
					&& shard.getExecutionContext().getInt(TargetsTasklet.NEXT) < shard.getExecutionContext()
						.getInt(TargetsPartitioner.TO));
		long unfinished = stopped.stream().filter((shard) -> shard.getStatus() != BatchStatus.COMPLETED).count();

		this.jobs.restart(jobId);

		JobView done = awaitJob(jobId);
		assertThat(done.state()).as("job %s: %s", jobId, done.errors()).isEqualTo(JobState.COMPLETED);
		assertThat(shards(jobId)).as("the restart's shards: the unfinished ones")
			.hasSize((int) unfinished)
			.allMatch((shard) -> shard.getStatus() == BatchStatus.COMPLETED);
		assertThat(sample(scrape(worker), "phreg_targets_images_total") - imagesBefore)
			.as("images gone through over both runs: each once")
			.isEqualTo(this.inputs.prepared(jobId).resolved().trainingImages());
		assertThat(TargetShards.of(this.folders.targetCache())).containsAllEntriesOf(singleProcess(jobId));
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

	/** Starts worker JVMs until {@code count} run, consume and answer over HTTP. */
	private void startWorkers(int count) throws Exception {
		workers.removeIf((worker) -> !worker.isAlive());
		while (workers.size() < count) {
			Path log = storage.resolve("worker-" + UUID.randomUUID() + ".log");
			int port = freePort();
			Process process = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx1g",
					"-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true",
					PhregApplication.class.getName(), "--spring.profiles.active=worker",
					"--spring.datasource.url=" + postgres() + database, "--spring.datasource.username=postgres",
					"--spring.datasource.password=", "--phreg.storage-root=" + storage,
					"--phreg.allowed-roots=" + storage, "--server.port=" + port)
				.redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start();
			workers.add(new Worker(process, port));
		}
		await(count + " workers consuming", () -> consumers() == count, WORKER_START);
		for (Worker worker : workers) {
			await("worker " + worker.name() + " ready", () -> isReady(worker), WORKER_START);
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	private static boolean isReady(Worker worker) {
		try {
			return get(worker, "/actuator/health/readiness").statusCode() == 200;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static HttpResponse<String> get(Worker worker, String path) throws IOException {
		try {
			return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port() + path)).build(),
					HttpResponse.BodyHandlers.ofString());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

	private static String scrape(Worker worker) throws IOException {
		HttpResponse<String> response = get(worker, "/actuator/prometheus");
		assertThat(response.statusCode()).as("scrape of %s", worker.name()).isEqualTo(200);
		return response.body();
	}

	private static Map<Worker, String> scrapes() throws IOException {
		Map<Worker, String> scrapes = new HashMap<>();
		for (Worker worker : workers) {
			scrapes.put(worker, scrape(worker));
		}
		return scrapes;
	}

	/** How much a counter grew over all workers, summed over the samples with a label. */
	private static double increase(Map<Worker, String> before, Map<Worker, String> after, String name,
			String... labels) {
		return workers.stream()
			.mapToDouble((worker) -> sample(after.get(worker), name, labels) - sample(before.get(worker), name, labels))
			.sum();
	}

	/** The sum of a Prometheus scrape's samples of a meter that carry all the labels. */
	private static double sample(String scrape, String name, String... labels) {
		double sum = 0;
		for (String line : scrape.lines().filter((line) -> line.startsWith(name + "{")).toList()) {
			String labelSet = line.substring(name.length(), line.lastIndexOf('}') + 1);
			if (Stream.of(labels).allMatch(labelSet::contains)) {
				sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
			}
		}
		return sum;
	}

	private static int done(StepExecution shard) {
		return shard.getExecutionContext().getInt(TargetsTasklet.DONE, 0);
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

	/** Shards running, their worker recorded in the job repository. */
	private long running(String jobId) {
		return shards(jobId).stream()
			.filter((shard) -> shard.getStatus() == BatchStatus.STARTED
					&& shard.getExecutionContext().containsKey(TargetsTasklet.WORKER))
			.count();
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
			assertThat(workers).as("worker processes").allMatch(Worker::isAlive);
			Thread.sleep(200);
		}
	}

	/**
	 * A small job over some of the photos, each worker's shards long enough to be caught
	 * in.
	 */
	private static DistillSpec spec(long seed, int photoCount) throws IOException {
		Path images = storage.resolve("photos-" + photoCount);
		Files.createDirectories(images);
		try (Stream<Path> photos = Files.list(Fixtures.photos())) {
			for (Path photo : photos.filter((file) -> file.toString().endsWith(".jpg"))
				.sorted()
				.limit(photoCount)
				.toList()) {
				Files.copy(photo, images.resolve(photo.getFileName()), StandardCopyOption.REPLACE_EXISTING);
			}
		}
		return new DistillSpec("demo", images.toString(), 4, Unlock.DEFAULT, List.of(), 4, 0.15, null, 4, null, 2L,
				null, null, 0.01, seed, "cpu", 2, List.of(), 2, null, true, true, 1);
	}

	/** A worker JVM and its HTTP port. */
	private record Worker(Process process, int port) {

		boolean isAlive() {
			return this.process.isAlive();
		}

		/** As it names itself in its meters and shards: {@code pid@host}. */
		String name() {
			return this.process.pid() + "@" + TargetsStepConfiguration.WORKER_NAME.split("@", 2)[1];
		}

	}

	private static String postgres() {
		String configured = System.getenv("PHREG_TEST_POSTGRES");
		return (configured != null && !configured.isBlank()) ? configured : "jdbc:postgresql://127.0.0.1:5432/";
	}

}
