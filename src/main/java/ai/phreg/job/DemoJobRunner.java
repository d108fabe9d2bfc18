package ai.phreg.job;

import java.util.List;

import ai.phreg.distill.PaperDefaults;
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

	static final DistillSpec DEMO = new DistillSpec(DemoTeacherSource.NAME, JobImages.DEMO, PaperDefaults.REGISTERS,
			Unlock.DEFAULT, List.of(), PaperDefaults.VIEWS, PaperDefaults.SHIFT_FRACTION, null, 4, null, 40L, 1e-3,
			1e-4, PaperDefaults.WEIGHT_DECAY, 1, "auto", 10, List.of(), 1, null, false, null, null);

	private static final long FOLLOW_INTERVAL_MILLIS = 1000;

	private final JobService jobs;

	private final JobFolders folders;

	private final Environment environment;

	DemoJobRunner(JobService jobs, JobFolders folders, Environment environment) {
		this.jobs = jobs;
		this.folders = folders;
		this.environment = environment;
	}

	@Override
	public void run(ApplicationArguments args) {
		// The service is ready while the demo runs: follow it on a thread of its own.
		Thread follower = new Thread(this::runDemo, "demo-job");
		follower.setDaemon(true);
		follower.start();
	}

	private void runDemo() {
		JobView job = this.jobs.submit(DEMO, null);
		logger.info("Demo job " + job.id() + " submitted: demo teacher (synthetic), bundled sample photos, "
				+ DEMO.steps() + " steps");
		long lastLogged = -1;
		while (!job.state().isTerminal() && job.state() != JobState.FAILED) {
			JobProgress progress = job.progress();
			if (progress != null && progress.step() != lastLogged) {
				lastLogged = progress.step();
				logger.info(String.format("Demo job step %d/%d: loss %.4f, %.1f images/s", progress.step(),
						progress.totalSteps(), progress.loss(), progress.imagesPerSecond()));
			}
			try {
				Thread.sleep(FOLLOW_INTERVAL_MILLIS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			job = this.jobs.get(job.id());
		}
		String base = "http://" + this.environment.getProperty("server.address", "localhost") + ":"
				+ this.environment.getProperty("local.server.port", "8080");
		if (job.state() != JobState.COMPLETED) {
			logger.error("Demo job " + job.id() + " ended " + job.state() + ": " + job.errors());
			return;
		}
		logger.info(String.join("\n", "Demo job " + job.id() + " completed. Look at:",
				"  report:     " + this.folders.report(job.id()), "  pictures:   " + this.folders.pictures(job.id()),
				"  checkpoint: " + this.folders.exports(job.id()), "  web page:   " + base + "/jobs/" + job.id(),
				"  job:        " + base + "/api/v1/jobs/" + job.id(),
				"  artifacts:  " + base + "/api/v1/jobs/" + job.id() + "/artifacts",
				"  metrics:    " + base + "/actuator/prometheus"));
		if (job.results() != null) {
			logger.info("Demo job results on " + job.results().images() + " held-out images, teacher -> student:\n"
					+ job.results().describe());
		}
	}

}
