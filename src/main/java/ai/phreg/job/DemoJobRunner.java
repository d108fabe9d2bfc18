package ai.phreg.job;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import ai.phreg.storage.JobFolders;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * {@code --phreg.demo-job=true}: once the service is up, submits a small job on the
 * built-in synthetic demo teacher and the bundled sample photos, reports its progress in
 * the log and, when it completes, where to look. The service keeps running afterwards.
 */
@Component
@ConditionalOnBooleanProperty("phreg.demo-job")
class DemoJobRunner implements ApplicationRunner {

	private static final Log logger = LogFactory.getLog(DemoJobRunner.class);

	static final DistillSpec DEMO = new DistillSpec(JobInputs.DEMO, JobInputs.DEMO, 16, "default", List.of(), 10, 0.15,
			null, 4, null, 40L, 1e-3, 1e-4, 0.01, 1, "auto", 10, List.of(), 1);

	private final JobService jobs;

	private final JobFolders folders;

	private final Environment environment;

	DemoJobRunner(JobService jobs, JobFolders folders, Environment environment) {
		this.jobs = jobs;
		this.folders = folders;
		this.environment = environment;
	}

	@Override
	public void run(ApplicationArguments args) throws Exception {
		JobView job = this.jobs.submit(DEMO, null);
		logger.info("Demo job " + job.id() + " submitted: demo teacher (synthetic), bundled sample photos, "
				+ DEMO.steps() + " steps");
		CountDownLatch done = new CountDownLatch(1);
		AtomicLong lastLogged = new AtomicLong(-1);
		try (AutoCloseable subscription = this.jobs.subscribe(job.id(), (view) -> {
			JobProgress progress = view.progress();
			if (progress != null && progress.step() != lastLogged.getAndSet(progress.step())) {
				logger.info(String.format("Demo job step %d/%d: loss %.4f, %.1f images/s", progress.step(),
						progress.totalSteps(), progress.loss(), progress.imagesPerSecond()));
			}
			if (view.state().isTerminal() || view.state() == JobState.FAILED) {
				done.countDown();
			}
		})) {
			done.await();
		}
		JobView finished = this.jobs.get(job.id());
		String base = "http://" + this.environment.getProperty("server.address", "localhost") + ":" + this.environment
			.getProperty("local.server.port", this.environment.getProperty("server.port", "8080"));
		if (finished.state() != JobState.COMPLETED) {
			logger.error("Demo job " + job.id() + " ended " + finished.state() + ": " + finished.errors());
			return;
		}
		logger.info("Demo job " + job.id() + " completed. Look at:\n" + "  report:     " + this.folders.report(job.id())
				+ "\n" + "  pictures:   " + this.folders.pictures(job.id()) + "\n" + "  checkpoint: "
				+ this.folders.exports(job.id()) + "\n" + "  web page:   " + base + "/\n" + "  job:        " + base
				+ "/api/v1/jobs/" + job.id() + "\n" + "  artifacts:  " + base + "/api/v1/jobs/" + job.id()
				+ "/artifacts\n" + "  metrics:    " + base + "/actuator/prometheus");
	}

}
