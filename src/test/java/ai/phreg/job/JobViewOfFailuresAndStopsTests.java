package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import ai.phreg.Fixtures;
import ai.phreg.image.RgbImage;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.imagesource.ImageSubset;
import ai.phreg.imagesource.SkippedImage;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.willAnswer;

/**
 * What a job's view says when the job cannot go on: a failure whose message speaks to the
 * user shows that message, a launch Spring Batch refuses shows a sentence, and a stop
 * asked for while the held-out images are evaluated ends the job before the next image.
 */
class JobViewOfFailuresAndStopsTests extends SynchronousJobTests {

	@Autowired
	JobFolders folders;

	@Autowired
	RunningJobs running;

	@Autowired
	JobDispatcher dispatcher;

	@Autowired
	JsonMapper json;

	@Test
	void imagesThatChangeAfterTheJobWasPreparedFailItWithTheirOwnSentence() throws Exception {
		// given a job on six photos, one of which is deleted once the job is prepared
		Path photos = photos("changing", 6);
		String jobId = submit(spec(photos, 0));
		willAnswer((call) -> {
			try (Stream<Path> files = Files.list(photos)) {
				Files.delete(files.sorted().findFirst().orElseThrow());
			}
			return call.callRealMethod();
		}).given(this.images).split(any(), any());

		// when it runs
		BatchStatus status = runJob(jobId);

		// then its view shows the sentence of the failure, not an internal error
		assertThat(status).isEqualTo(BatchStatus.FAILED);
		JobView view = this.jobs.get(jobId);
		assertThat(view.state()).isEqualTo(JobState.FAILED);
		assertThat(view.errors()).singleElement()
			.asString()
			.startsWith("The images changed since the job was prepared: 6 then, 5 now; submit the job again");
	}

	@Test
	void aStopAskedForDuringTheEvaluationEndsTheJobBeforeTheNextImage() throws Exception {
		// given a job holding out four photos, whose evaluation asks for a stop as it
		// reads its first image
		Path photos = photos("evaluated", 8);
		String jobId = submit(spec(photos, 4));
		AtomicInteger evaluationReads = new AtomicInteger();
		willAnswer((call) -> {
			ImageSubset.Split split = (ImageSubset.Split) call.callRealMethod();
			if (!JobPhase.EVALUATE.stepName().equals(StepSynchronizationManager.getContext().getStepName())) {
				return split;
			}
			ResolvedJob job = call.getArgument(1);
			ImageSource stopping = new WatchedReads(this.images.scan(call.getArgument(0)), () -> {
				evaluationReads.incrementAndGet();
				this.running.requestStop(jobId);
			});
			return ImageSubset.split(stopping, job.evaluationImages(), job.settings().seed());
		}).given(this.images).split(any(), any());

		// when it runs
		BatchStatus status = runJob(jobId);

		// then it stopped in the evaluation, after one image, and wrote no figures
		assertThat(status).isEqualTo(BatchStatus.STOPPED);
		assertThat(evaluationReads).hasValue(1);
		assertThat(this.folders.evaluation(jobId)).doesNotExist();
		JobView view = this.jobs.get(jobId);
		assertThat(view.state()).isEqualTo(JobState.STOPPED);
		assertThat(view.phase()).isEqualTo(JobPhase.EVALUATE);
		assertThat(view.errors()).isEmpty();
	}

	@Test
	void aStopOutlivesTheExecutionsListenersSoTheJobNeverShowsAsRunningAgain() throws Exception {
		// given a job asked to stop as it is launched
		String jobId = submit(spec(photos("stopped", 4), 0));
		this.running.requestStop(jobId);

		// when its execution ends
		BatchStatus status = runJob(jobId);

		// then the request is still there: Spring Batch records the execution's end after
		// its listeners ran, and until then the job must show as stopping (JobStates),
		// not as started
		assertThat(status).isEqualTo(BatchStatus.STOPPED);
		assertThat(this.running.isStopRequested(jobId)).isTrue();
		assertThat(this.jobs.get(jobId).state()).isEqualTo(JobState.STOPPED);
	}

	@Test
	void aLaunchSpringBatchRefusesShowsASentenceNotTheExceptionsText() throws Exception {
		// given a job whose Spring Batch instance already completed (as after a lost
		// update of its record)
		String jobId = submit(spec(photos("launched", 4), 0));
		assertThat(this.batch.startJob(new JobParametersBuilder().addString(JobIds.PARAMETER, jobId).toJobParameters())
			.getStatus()).isEqualTo(BatchStatus.COMPLETED);

		// when the dispatcher launches it again
		boolean launched = this.dispatcher.launch(this.records.find(jobId).orElseThrow());

		// then the job is FAILED (not STARTING forever), restartable, and its view says
		// it could not start and where the details are
		assertThat(launched).isFalse();
		assertThat(this.jobs.get(jobId).state()).isEqualTo(JobState.FAILED);
		assertThat(this.records.find(jobId).orElseThrow().launches()).isZero();
		assertThat(this.jobs.get(jobId).errors()).singleElement()
			.asString()
			.startsWith("The service could not start the job: Internal error: the server log has the details under"
					+ " reference ")
			.doesNotContain("Exception", "JobInstance", "parameters");
		assertThatCode(() -> this.jobs.restart(jobId)).doesNotThrowAnyException();
	}

	private static Path photos(String name, int count) throws IOException {
		Path folder = Files.createDirectories(STORAGE.resolve(name));
		try (Stream<Path> photos = Files.list(Fixtures.photos())) {
			for (Path photo : photos.filter((file) -> file.toString().endsWith(".jpg"))
				.sorted()
				.limit(count)
				.toList()) {
				Files.copy(photo, folder.resolve(photo.getFileName()));
			}
		}
		return folder;
	}

	/** A short job on the demo teacher, read as a request would be. */
	private DistillSpec spec(Path images, int evaluationImages) {
		return this.json.readValue("""
				{"teacher": "demo", "images": "%s", "registers": 2, "unlock": "%s", "views": 2, "shiftFraction": 0.25,
				 "resolution": 56, "batchSize": 2, "steps": 2, "weightDecay": 0.01, "seed": 5, "device": "cpu",
				 "checkpointEvery": 50, "evaluationImages": %d}
				""".formatted(images.toAbsolutePath(), this.json.convertValue(Unlock.DEFAULT, String.class),
				evaluationImages), DistillSpec.class);
	}

	/** A source that tells {@code onRead} of every image read from it. */
	private record WatchedReads(ImageSource source, Runnable onRead) implements ImageSource {

		@Override
		public int size() {
			return this.source.size();
		}

		@Override
		public String name(int index) {
			return this.source.name(index);
		}

		@Override
		public RgbImage read(int index) throws IOException {
			this.onRead.run();
			return this.source.read(index);
		}

		@Override
		public List<SkippedImage> skipped() {
			return this.source.skipped();
		}

	}

}
