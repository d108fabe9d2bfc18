package ai.phreg.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import ai.phreg.job.ArtifactView;
import ai.phreg.job.JobService;
import ai.phreg.job.UnknownArtifactException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The files of a job: checkpoints, exports, evaluation reports and pictures. Downloads
 * support {@code Range} requests (206, 416), conditional requests on the content-derived
 * {@code ETag}, and carry an RFC 9530 {@code Repr-Digest}.
 */
@ServiceOnly
@RestController
@RequestMapping(ArtifactController.ARTIFACTS)
@Tag(name = "Artifacts", description = "Files a job produced")
class ArtifactController {

	static final String ARTIFACTS = JobController.JOBS + "/{id}/artifacts";

	private final JobService jobs;

	ArtifactController(JobService jobs) {
		this.jobs = jobs;
	}

	@GetMapping
	@Operation(summary = "List a job's files with their sizes and SHA-256 digests")
	List<ArtifactLink> list(@PathVariable String id) {
		return this.jobs.artifacts(id).stream().map((artifact) -> ArtifactLink.of(id, artifact)).toList();
	}

	@GetMapping("/{*name}")
	@Operation(summary = "Download a job's file, whole or by byte range",
			description = "The name is the path the listing gives, its slashes plain or encoded as %2F.")
	@Parameter(name = "name", in = ParameterIn.PATH, required = true, schema = @Schema(type = "string"),
			description = "The file's path in the job's folder, such as export/DINOV2_HF/model.safetensors")
	@Parameter(name = HttpHeaders.IF_NONE_MATCH, in = ParameterIn.HEADER, schema = @Schema(type = "string"),
			description = "An ETag from an earlier download: 304 while the file is unchanged")
	@Parameter(name = HttpHeaders.IF_RANGE, in = ParameterIn.HEADER, schema = @Schema(type = "string"),
			description = "An ETag: the Range applies only while the file still has it, else the whole file comes")
	@ApiResponse(responseCode = "200", description = "The whole file",
			headers = { @Header(name = HttpHeaders.ETAG, description = "\"sha256:<hex digest of the content>\""),
					@Header(name = "Repr-Digest", description = "RFC 9530 digest: sha-256=:<base64>:"),
					@Header(name = HttpHeaders.ACCEPT_RANGES, description = "bytes"),
					@Header(name = HttpHeaders.CONTENT_DISPOSITION,
							description = "attachment, with the file's own name") },
			content = {
					@Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
							schema = @Schema(type = "string", format = "binary")),
					@Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
							schema = @Schema(type = "string", format = "binary")),
					@Content(mediaType = MediaType.IMAGE_PNG_VALUE,
							schema = @Schema(type = "string", format = "binary")) })
	@ApiResponse(responseCode = "206", description = "The requested byte ranges (multipart/byteranges for several)",
			headers = { @Header(name = HttpHeaders.CONTENT_RANGE, description = "bytes <first>-<last>/<size>"),
					@Header(name = HttpHeaders.ETAG, description = "As for 200") },
			content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
					schema = @Schema(type = "string", format = "binary")))
	@ApiResponse(responseCode = "304", description = "Unchanged since the ETag in If-None-Match",
			headers = @Header(name = HttpHeaders.ETAG, description = "As for 200"), content = @Content)
	@ApiResponse(responseCode = "400", description = "A name that would leave the job's folder")
	@ApiResponse(responseCode = "404", description = "No such job, or no such file in it")
	@ApiResponse(responseCode = "416", description = "The range lies outside the file; the body is empty",
			headers = @Header(name = HttpHeaders.CONTENT_RANGE, description = "bytes */<size>"), content = @Content)
	ResponseEntity<Resource> download(@PathVariable String id,
			@Parameter(hidden = true) @PathVariable("name") String capturedName,
			@Parameter(description = "bytes=<first>-[<last>], one or more ranges") @RequestHeader(
					name = HttpHeaders.RANGE, required = false) String range) {
		// The capture includes the slash before the name.
		String name = checkedName(capturedName.startsWith("/") ? capturedName.substring(1) : capturedName);
		ArtifactView artifact = this.jobs.artifacts(id)
			.stream()
			.filter((candidate) -> candidate.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new UnknownArtifactException(id, name));
		Resource file = new FileSystemResource(this.jobs.artifact(id, name));
		if (range != null && !satisfiable(range, file)) {
			// Spring would set 416 and then send the whole file anyway.
			return ResponseEntity.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
				.header(HttpHeaders.CONTENT_RANGE, "bytes */" + artifact.size())
				.build();
		}
		byte[] digest = HexFormat.of().parseHex(artifact.sha256());
		return ResponseEntity.ok()
			.contentType(mediaType(name))
			.eTag("\"sha256:" + artifact.sha256() + "\"")
			.header("Repr-Digest", "sha-256=:" + Base64.getEncoder().encodeToString(digest) + ":")
			.header(HttpHeaders.CONTENT_DISPOSITION,
					ContentDisposition.attachment()
						.filename(name.substring(name.lastIndexOf('/') + 1), StandardCharsets.UTF_8)
						.build()
						.toString())
			.body(file);
	}

	/** Whether Spring can serve {@code range} of {@code file} (it throws otherwise). */
	private static boolean satisfiable(String range, Resource file) {
		try {
			HttpRange.toResourceRegions(HttpRange.parseRanges(range), file);
			return true;
		}
		catch (IllegalArgumentException ex) {
			return false;
		}
	}

	/**
	 * The name unchanged when it is a plain relative path; refused before the job service
	 * sees it otherwise. Spring has already decoded it, so {@code %2e%2e} and {@code %2F}
	 * arrive here as {@code ..} and {@code /}.
	 */
	static String checkedName(String name) {
		if (name.isEmpty()) {
			throw new InvalidArtifactNameException("the artifact name is empty");
		}
		if (name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0) {
			throw new InvalidArtifactNameException("artifact names contain no NUL or backslash");
		}
		if (name.startsWith("/")) {
			throw new InvalidArtifactNameException("artifact names are relative to the job's folder");
		}
		for (String segment : name.split("/", -1)) {
			if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
				throw new InvalidArtifactNameException("artifact names contain no empty, '.' or '..' parts");
			}
		}
		return name;
	}

	private static MediaType mediaType(String name) {
		if (name.endsWith(".json")) {
			return MediaType.APPLICATION_JSON;
		}
		if (name.endsWith(".png")) {
			return MediaType.IMAGE_PNG;
		}
		return MediaType.APPLICATION_OCTET_STREAM;
	}

	/**
	 * An artifact in a listing.
	 *
	 * @param name the path relative to the job's folder
	 * @param size bytes
	 * @param sha256 hex digest of the content
	 * @param url where to download it
	 */
	record ArtifactLink(String name, long size, String sha256, String url) {

		static ArtifactLink of(String id, ArtifactView artifact) {
			String url = UriComponentsBuilder.fromPath(JobController.JOBS)
				.pathSegment(id, "artifacts")
				.pathSegment(artifact.name().split("/"))
				.build()
				.encode()
				.toUriString();
			return new ArtifactLink(artifact.name(), artifact.size(), artifact.sha256(), url);
		}

	}

	/** A requested artifact name that could leave the job's folder. */
	static class InvalidArtifactNameException extends RuntimeException {

		InvalidArtifactNameException(String message) {
			super(message);
		}

	}

}
