package ai.phreg.api;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

import ai.phreg.job.JobList;
import ai.phreg.job.JobService;
import ai.phreg.job.JobState;
import ai.phreg.job.JobView;
import ai.phreg.job.StepRecord;
import ai.phreg.system.PhregConfiguration;
import ai.phreg.system.PhregProperties;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.util.UriComponentsBuilder;

/** Submitting, listing, following, stopping and restarting distillation jobs. */
@ServiceOnly
@RestController
@RequestMapping(JobController.JOBS)
@Tag(name = "Jobs", description = "Distillation and analysis jobs")
class JobController {

	static final String JOBS = "/api/v1/jobs";

	static final String TOTAL_COUNT = "X-Total-Count";

	static final int MAX_PAGE_SIZE = 500;

	static final String TEXT_CSV = "text/csv";

	private final JobService jobs;

	private final PhregProperties properties;

	JobController(JobService jobs, PhregProperties properties) {
		this.jobs = jobs;
		this.properties = properties;
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(summary = "Queue a distillation or analysis job",
			description = "A repeated Idempotency-Key returns the job it first created.",
			security = @SecurityRequirement(name = PhregConfiguration.API_KEY_SCHEME))
	@ApiResponse(responseCode = "202", description = "Queued; Location is the job's URL",
			headers = @Header(name = HttpHeaders.LOCATION, description = "The job's URL"))
	ResponseEntity<SubmittedJob> submit(@Valid @RequestBody JobRequest request,
			@RequestHeader(name = "Idempotency-Key", required = false) @Pattern(regexp = "[\\x20-\\x7E]{1,200}",
					message = "must be 1 to 200 printable ASCII characters") String idempotencyKey) {
		JobView job = this.jobs.submit(request.toSpec(this.properties.checkpointEvery()), idempotencyKey);
		URI location = jobUri(job.id());
		return ResponseEntity.accepted().location(location).body(new SubmittedJob(job.id(), job.state(), location));
	}

	@GetMapping
	@Operation(summary = "List jobs, newest first, optionally in one state and by page",
			description = "Without page and size every matching job; X-Total-Count counts them all.")
	@ApiResponse(responseCode = "200", description = "The page of jobs", headers = @Header(name = TOTAL_COUNT,
			description = "How many jobs match, on every page", schema = @Schema(type = "integer")))
	ResponseEntity<List<JobView>> list(@RequestParam(required = false) JobState state,
			@RequestParam(required = false) @Min(0) Integer page,
			@RequestParam(required = false) @Min(1) @Max(MAX_PAGE_SIZE) Integer size) {
		// Without a size there is one page, whatever page was asked for.
		int count = (size != null) ? size : Integer.MAX_VALUE;
		int from = (size != null) ? (int) Math.min(Integer.MAX_VALUE, (long) Objects.requireNonNullElse(page, 0) * size)
				: 0;
		JobList shown = this.jobs.list(state, from, count);
		return ResponseEntity.ok().header(TOTAL_COUNT, Integer.toString(shown.total())).body(shown.jobs());
	}

	@GetMapping("/{id}")
	@Operation(summary = "Show a job: state, progress, losses, errors")
	JobView get(@PathVariable String id) {
		return this.jobs.get(id);
	}

	@PostMapping("/{id}/stop")
	@ResponseStatus(HttpStatus.ACCEPTED)
	@Operation(summary = "Stop a queued or running job at the next step",
			security = @SecurityRequirement(name = PhregConfiguration.API_KEY_SCHEME))
	@ApiResponse(responseCode = "202", description = "Stopping; the view shows the job's state now")
	@ApiResponse(responseCode = "409", description = "The job has already ended; state says how")
	JobView stop(@PathVariable String id) {
		return this.jobs.stop(id);
	}

	@PostMapping("/{id}/restart")
	@ResponseStatus(HttpStatus.ACCEPTED)
	@Operation(summary = "Restart a stopped or failed job from its last checkpoint",
			security = @SecurityRequirement(name = PhregConfiguration.API_KEY_SCHEME))
	@ApiResponse(responseCode = "202", description = "Queued again; the view shows the job's state now")
	@ApiResponse(responseCode = "409", description = "The job is not stopped or failed; state says which it is")
	JobView restart(@PathVariable String id) {
		return this.jobs.restart(id);
	}

	@GetMapping(path = "/{id}/history", produces = MediaType.APPLICATION_JSON_VALUE)
	@Operation(summary = "Every optimizer step of a job: losses, learning rate, images/s, timings",
			description = "As CSV with Accept: text/csv. Kept with the job; steps a resumed run trained again"
					+ " appear once, from the run the student came from.")
	List<StepRecord> history(@PathVariable String id) {
		return this.jobs.history(id);
	}

	@GetMapping(path = "/{id}/history", produces = TEXT_CSV)
	@Operation(summary = "Every optimizer step of a job as CSV, one line per step after a header")
	@ApiResponse(responseCode = "200", description = "One line per step after a header line",
			content = @Content(mediaType = TEXT_CSV,
					schema = @Schema(type = "string", example = StepRecord.CSV_HEADER)))
	ResponseEntity<String> historyCsv(@PathVariable String id) {
		StringBuilder csv = new StringBuilder(StepRecord.CSV_HEADER).append('\n');
		this.jobs.history(id).forEach((record) -> csv.append(record.csvLine()).append('\n'));
		return ResponseEntity.ok()
			.contentType(new MediaType("text", "csv", StandardCharsets.UTF_8))
			.header(HttpHeaders.CONTENT_DISPOSITION,
					ContentDisposition.inline().filename(id + "-history.csv").build().toString())
			.body(csv.toString());
	}

	@GetMapping(path = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	@Operation(summary = "Follow a job as server-sent events",
			description = "A 'progress' event with the job's view now and on every change, until the job ends.")
	@ApiResponse(responseCode = "200",
			description = "Events named 'progress' whose data is a JobView as one line of JSON; "
					+ "the stream ends after the view of an ended job",
			content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE,
					schema = @Schema(implementation = JobView.class)))
	SseEmitter events(@PathVariable String id) {
		return JobEventStream.open(this.jobs, id);
	}

	private static URI jobUri(String id) {
		return UriComponentsBuilder.fromPath(JOBS).pathSegment(id).build().encode().toUri();
	}

	/**
	 * The answer to a submission.
	 *
	 * @param id the job id
	 * @param state the job's state, usually {@link JobState#QUEUED}
	 * @param url where to follow the job
	 */
	record SubmittedJob(String id, JobState state, URI url) {
	}

}
