package ai.phreg.job;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import javax.imageio.ImageIO;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.demo.ArtifactPlanting;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.registers.RegisterNeuron;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.StepContext;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;
import org.springframework.batch.core.step.StepExecution;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoSpyBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.startsWith;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.willAnswer;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * {@code analyzeJob} through the API, on the demo teacher and the shared photos, with the
 * embedded H2 job repository: the register neuron search finds the planted neurons, the
 * teacher is compared with its three test-time fixes, and the findings reach
 * {@code analysis.json}, the report and the job view.
 */
@SpringBootTest(properties = "phreg.api-key=" + AnalyzeJobFunctionalTests.KEY)
@AutoConfigureMockMvc
class AnalyzeJobFunctionalTests {

	static final String KEY = "analyze-job-functional-tests-key";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	static Path storage;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("phreg.storage-root", () -> storage.toString());
		registry.add("phreg.allowed-roots", AnalyzeJobFunctionalTests::photos);
	}

	@Autowired
	MockMvc mvc;

	@Autowired
	JobService jobs;

	@Autowired
	JobRepository repository;

	@Autowired
	RunningJobs running;

	/** The real images, which a test may hold up. */
	@MockitoSpyBean
	JobImages images;

	@Test
	void anAnalysisFindsThePlantedNeuronsAndTestTimeRegistersTakeTheArtifactsOut() throws Exception {
		// given the demo teacher, whose artifacts are planted as MLP neurons, and the
		// photos
		String body = """
				{"kind": "analyze", "teacher": "demo", "images": "%s", "views": 4, "evaluationImages": 2}"""
			.formatted(photos());

		// when it is analyzed
		String id = submit(body);
		JobView done = JobAwaiting.await(this.jobs, id, (view) -> view.state() == JobState.COMPLETED,
				Duration.ofMinutes(5));

		// then it trained nothing and its view says what it was
		assertThat(done.kind()).isEqualTo(JobKind.ANALYZE);
		assertThat(done.phase()).isEqualTo(JobPhase.REPORT);
		assertThat(done.progress()).isNull();
		assertThat(done.settings()).isNull();

		// and the neurons found include the planted ones, searched on every photo at the
		// valley of the norms
		Analysis analysis = done.analysis();
		assertThat(analysis).isNotNull();
		ArtifactPlanting planting = planting();
		Set<String> found = analysis.neurons()
			.stream()
			.map((neuron) -> neuron.layer() + "/" + neuron.neuron())
			.collect(Collectors.toSet());
		for (int neuron : planting.neurons()) {
			assertThat(found).contains(planting.block() + "/" + neuron);
		}
		assertThat(analysis.search().thresholdSource()).isEqualTo("valley");
		assertThat(analysis.search().normThreshold()).isPositive();
		assertThat(analysis.search().outlierLayer()).isEqualTo(DemoTeacher.config().depth() - 2);
		assertThat(analysis.search().imagesScanned()).isEqualTo(36);
		assertThat(analysis.neuronsPerLayer()).extracting(Analysis.LayerCount::layer)
			.containsExactly(0, 1, 2)
			.hasSize(analysis.search().highestLayer() + 1);
		assertThat(analysis.neuronsPerLayer().stream().mapToInt(Analysis.LayerCount::count).sum())
			.isEqualTo(analysis.neurons().size());
		assertThat(done.registerNeurons().neurons()).isEqualTo(analysis.neurons());

		// and the four sources are measured on the two images, test-time registers with
		// fewer outliers than the teacher in one pass, the denoised sources in one per
		// view
		assertThat(analysis.images()).hasSize(2);
		assertThat(analysis.sources()).extracting(Analysis.Source::source)
			.containsExactly("teacher", "tta", "test-time-registers", "both");
		assertThat(analysis.sources()).extracting(Analysis.Source::passesPerImage).containsExactly(1, 4, 1, 4);
		assertThat(analysis.sources()).allSatisfy((source) -> {
			assertThat(source.teacherSecondsPerImage()).isPositive();
			assertThat(source.summary().imageCount()).isEqualTo(2);
			assertThat(source.summary().threshold()).isEqualTo(analysis.sources().get(0).summary().threshold());
		});
		double teacherOutliers = analysis.sources().get(0).summary().outlierFraction();
		assertThat(teacherOutliers).isPositive();
		assertThat(analysis.sources().get(2).summary().outlierFraction()).isLessThan(teacherOutliers);
		assertThat(analysis.sources().get(3).summary().outlierFraction()).isLessThan(teacherOutliers);

		// and the pictures are PNGs downloadable as artifacts: one per image with the
		// input and four norm maps, and the neurons per block
		assertThat(analysis.pictures()).hasSize(2).allSatisfy((picture) -> {
			assertThat(picture.maxNorms().keySet()).containsExactly("teacher", "tta", "test-time-registers", "both");
			assertThat(picture.normMax()).isGreaterThanOrEqualTo(picture.maxNorms().get("teacher"));
			assertThat(picture.maxNorms().get("test-time-registers")).isLessThan(picture.maxNorms().get("teacher"));
		});
		BufferedImage panel = png(id, analysis.pictures().get(0).artifact());
		// the 224 px input and four 16 x 16 maps of 12 px patches
		assertThat(panel.getWidth()).isGreaterThan(224 + 4 * 16 * 12);
		BufferedImage bars = png(id, analysis.neuronPicture());
		assertThat(bars.getWidth()).isPositive();

		// and analysis.json, the report and the job view over HTTP carry the same
		// analysis
		JsonNode file = JSON.readTree(Files.readString(this.jobs.artifact(id, "analysis.json")));
		JsonNode report = JSON.readTree(Files.readString(this.jobs.artifact(id, "report.json")));
		JsonNode view = JSON.readTree(this.mvc.perform(get("/api/v1/jobs/" + id))
			.andExpect(status().isOk())
			.andReturn()
			.getResponse()
			.getContentAsString());
		assertThat(report.path("analysis")).isEqualTo(file);
		assertThat(view.path("analysis")).isEqualTo(file);
		assertThat(view.path("kind").asString()).isEqualTo("analyze");
		assertThat(report.path("kind").asString()).isEqualTo("analyze");
		assertThat(fieldNames(file)).containsExactly("images", "resolution", "search", "neurons", "neuronsPerLayer",
				"neuronPicture", "sources", "pictures");
		assertThat(fieldNames(file.path("search"))).containsExactly("outlierLayer", "normThreshold", "thresholdSource",
				"topK", "highestLayer", "imagesScanned", "imagesWithOutliers");
		assertThat(fieldNames(file.path("sources").path(0))).containsExactly("source", "passesPerImage",
				"teacherSecondsPerImage", "summary");
		assertThat(fieldNames(file.path("pictures").path(0))).containsExactly("image", "artifact", "normMin", "normMax",
				"maxNorms");
		assertThat(file.path("sources").path(0).path("summary").path("outlierFraction").asDouble())
			.isEqualTo(teacherOutliers);
		assertThat(this.jobs.artifacts(id)).extracting(ArtifactView::name).contains("neurons.json");
	}

	@Test
	void aGivenThresholdAndSearchAreUsedAsGiven() throws Exception {
		String id = submit("""
				{"kind": "analyze", "teacher": "demo", "images": "%s", "views": 2, "evaluationImages": 1,
				 "normThreshold": 150.0, "topNeurons": 5, "highestLayer": 3, "outlierLayer": -1, "neuronImages": 6,
				 "testTimeRegisterTokens": 2}""".formatted(photos()));

		Analysis analysis = JobAwaiting
			.await(this.jobs, id, (view) -> view.state() == JobState.COMPLETED, Duration.ofMinutes(5))
			.analysis();

		assertThat(analysis.search()).isEqualTo(new Analysis.NeuronSearch(DemoTeacher.config().depth() - 1, 150.0,
				"given", 5, 3, 6, analysis.search().imagesWithOutliers()));
		assertThat(analysis.neurons()).hasSizeLessThanOrEqualTo(5)
			.allSatisfy((neuron) -> assertThat(neuron.layer()).isLessThanOrEqualTo(3));
		assertThat(analysis.neuronsPerLayer()).hasSize(4);
	}

	@Test
	void aStoppedAnalysisRestartsAfterItsNeuronSearchWithoutSearchingAgain() throws Exception {
		// given an analysis comparing many images, stopped once its neurons are found; in
		// its first execution the comparison waits for the stop as it opens the images,
		// so that it cannot end first on a fast machine
		AtomicBoolean firstExecution = new AtomicBoolean(true);
		willAnswer((call) -> {
			StepContext step = StepSynchronizationManager.getContext();
			if (step != null && JobPhase.COMPARE.stepName().equals(step.getStepName()) && firstExecution.get()) {
				TrainingHeldUntilStopped.untilStopRequested(this.running,
						step.getStepExecution().getJobParameters().getString(JobIds.PARAMETER));
			}
			return call.callRealMethod();
		}).given(this.images).scan(any());
		String id = submit("""
				{"kind": "analyze", "teacher": "demo", "images": "%s", "views": 6, "evaluationImages": 10}"""
			.formatted(photos()));
		JobAwaiting.await(this.jobs, id, (view) -> view.phase() == JobPhase.COMPARE, Duration.ofMinutes(5));
		Path neurons = this.jobs.artifact(id, "neurons.json");
		FileTime searched = Files.getLastModifiedTime(neurons);
		List<RegisterNeuron> first = this.jobs.get(id).registerNeurons().neurons();
		this.jobs.stop(id);
		JobView stopped = JobAwaiting.await(this.jobs, id, (view) -> view.state() == JobState.STOPPED,
				Duration.ofMinutes(2));
		assertThat(stopped.phase()).isEqualTo(JobPhase.COMPARE);
		assertThat(stopped.analysis()).isNull();

		// when it is restarted
		firstExecution.set(false);
		this.jobs.restart(id);
		JobView done = JobAwaiting.await(this.jobs, id,
				(view) -> view.state() == JobState.COMPLETED && view.executions() == 2, Duration.ofMinutes(10));

		// then it compared with the neurons of its first execution, found once
		assertThat(Files.getLastModifiedTime(neurons)).isEqualTo(searched);
		assertThat(done.analysis().neurons()).isEqualTo(first);
		assertThat(done.analysis().images()).hasSize(10);
	}

	@Test
	void anAnalysisRefusesEveryTrainingFieldNamingItAndDistillationsRefuseTheSearch() throws Exception {
		this.mvc.perform(post("""
				{"kind": "analyze", "teacher": "demo", "images": "demo", "epochs": 2, "learningRate": 0.001,
				 "exportFormats": ["TIMM"], "targetCache": "on", "targets": "both"}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors.length()").value(5))
			.andExpect(jsonPath("$.errors[*].field")
				.value(containsInAnyOrder("epochs", "learningRate", "exportFormats", "targetCache", "targets")))
			.andExpect(jsonPath("$.errors[*].message",
					everyItem(startsWith("only distill jobs take it: an analyze job trains nothing"))));
		this.mvc.perform(post("""
				{"kind": "analyze", "teacher": "demo", "images": "demo", "evaluationImages": 0}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors.length()").value(1))
			.andExpect(jsonPath("$.errors[0].field").value("evaluationImages"))
			.andExpect(jsonPath("$.errors[0].message").value("must be at least 1: an analyze job measures them"));
		this.mvc.perform(
				post("""
						{"teacher": "demo", "images": "demo", "steps": 1, "targets": "test-time-registers", "topNeurons": 4}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors.length()").value(1))
			.andExpect(jsonPath("$.errors[0].field").value("topNeurons"))
			.andExpect(jsonPath("$.errors[0].message", startsWith("only analyze jobs take it")));
		this.mvc.perform(post("""
				{"kind": "analyze", "teacher": "demo", "images": "demo", "outlierLayer": 6, "highestLayer": 6}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[*].field").value(containsInAnyOrder("outlierLayer", "highestLayer")))
			.andExpect(jsonPath("$.errors[0].message", containsString("teacher's 6 blocks")));
		this.mvc.perform(post("""
				{"kind": "unknown", "teacher": "demo", "images": "demo", "steps": 1}"""))
			.andExpect(status().isBadRequest())
			.andExpect(jsonPath("$.errors[0].field").value("kind"))
			.andExpect(jsonPath("$.errors[0].message").value("must be distill or analyze"));
	}

	@Test
	void aDistillationWithTestTimeRegistersShowsTheNeuronsItMoved() throws Exception {
		// given a distillation whose targets come from the teacher with test-time
		// registers, computed ahead into the target cache
		String id = submit("""
				{"teacher": "demo", "images": "%s", "steps": 1, "batchSize": 2, "views": 2, "evaluationImages": 1,
				 "targets": "test-time-registers", "targetCache": "on"}""".formatted(photos()));

		// when it ran
		JobView done = JobAwaiting.await(this.jobs, id, (view) -> view.state() == JobState.COMPLETED,
				Duration.ofMinutes(5));

		// then its view and report show the neurons its neurons step found with the
		// family's search, which the targets step and the training used
		assertThat(done.kind()).isEqualTo(JobKind.DISTILL);
		JobExecution execution = this.repository.getLastJobExecution(DistillJobConfiguration.JOB_NAME,
				new JobParametersBuilder().addString(JobIds.PARAMETER, id).toJobParameters());
		assertThat(execution.getStepExecutions()).extracting(StepExecution::getStepName)
			.containsSubsequence("prepare", "neurons", "targets", "distill");
		assertThat(done.analysis()).isNull();
		RegisterNeuronReport neurons = done.registerNeurons();
		assertThat(neurons.search().thresholdSource()).isEqualTo("valley");
		assertThat(neurons.search().imagesScanned()).isEqualTo(35);
		ArtifactPlanting planting = planting();
		assertThat(neurons.neurons()).filteredOn((neuron) -> neuron.layer() == planting.block())
			.extracting(RegisterNeuron::neuron)
			.contains(planting.neurons()[0], planting.neurons()[1], planting.neurons()[2], planting.neurons()[3]);
		JsonNode report = JSON.readTree(Files.readString(this.jobs.artifact(id, "report.json")));
		assertThat(JSON.treeToValue(report.path("registerNeurons"), RegisterNeuronReport.class)).isEqualTo(neurons);
		assertThat(report.path("kind").asString()).isEqualTo("distill");
	}

	private static MockHttpServletRequestBuilder post(String body) {
		return MockMvcRequestBuilders.post("/api/v1/jobs")
			.header("X-API-Key", KEY)
			.contentType(MediaType.APPLICATION_JSON)
			.content(body);
	}

	private String submit(String body) throws Exception {
		return JSON
			.readTree(this.mvc.perform(post(body))
				.andExpect(status().isAccepted())
				.andReturn()
				.getResponse()
				.getContentAsString())
			.get("id")
			.asString();
	}

	private BufferedImage png(String id, String artifact) throws Exception {
		byte[] bytes = this.mvc.perform(get("/api/v1/jobs/" + id + "/artifacts/" + artifact))
			.andExpect(status().isOk())
			.andReturn()
			.getResponse()
			.getContentAsByteArray();
		BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
		assertThat(image).as("%s decodes as an image", artifact).isNotNull();
		return image;
	}

	private static List<String> fieldNames(JsonNode node) {
		return StreamSupport.stream(node.propertyNames().spliterator(), false).toList();
	}

	private static ArtifactPlanting planting() {
		try (NDManager manager = NDManager.newBaseManager()) {
			return DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).planting();
		}
	}

	private static String photos() {
		return Fixtures.photos().toAbsolutePath().normalize().toString();
	}

}
