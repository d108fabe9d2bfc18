package ai.phreg.api;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.job.JobService;
import ai.phreg.job.UnknownArtifactException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * Each export format of a job as one zip archive, {@code <job>-<format>.zip}, streamed as
 * it is written: nothing is staged on disk or in memory, however large the weights. The
 * entries sit in a folder of the archive's name, so that unpacking gives a folder a
 * loader can be pointed at.
 */
@ServiceOnly
@RestController
@Tag(name = "Artifacts", description = "Files a job produced")
class ExportArchiveController {

	static final String ARCHIVE = JobController.JOBS + "/{id}/exports/{format}.zip";

	private static final String ZIP_VALUE = "application/zip";

	private static final MediaType ZIP = MediaType.parseMediaType(ZIP_VALUE);

	private final JobService jobs;

	ExportArchiveController(JobService jobs) {
		this.jobs = jobs;
	}

	@GetMapping(path = ARCHIVE, produces = ZIP_VALUE)
	@Operation(summary = "Download one export format of a job as a zip archive")
	@ApiResponse(responseCode = "200",
			description = "The export's files in a folder named <job>-<format>, streamed as they are read",
			headers = @Header(name = HttpHeaders.CONTENT_DISPOSITION, description = "attachment; <job>-<format>.zip"),
			content = @Content(mediaType = ZIP_VALUE, schema = @Schema(type = "string", format = "binary")))
	@ApiResponse(responseCode = "404", description = "No such job, or the job has no export in this format")
	ResponseEntity<StreamingResponseBody> archive(@PathVariable String id, @PathVariable String format) {
		Path folder = this.jobs.exportFolder(id, formatNamed(id, format));
		List<Path> files = filesOf(folder);
		String name = id + "-" + format;
		StreamingResponseBody body = (out) -> write(folder, files, name, out);
		return ResponseEntity.ok()
			.contentType(ZIP)
			.header(HttpHeaders.CONTENT_DISPOSITION,
					ContentDisposition.attachment().filename(name + ".zip", StandardCharsets.UTF_8).build().toString())
			.body(body);
	}

	private static CheckpointFormat formatNamed(String id, String format) {
		for (CheckpointFormat candidate : CheckpointFormat.values()) {
			if (candidate.name().equals(format)) {
				return candidate;
			}
		}
		throw new UnknownArtifactException(id, "export/" + format);
	}

	/** The regular files of the export, sorted, listed before the response starts. */
	private static List<Path> filesOf(Path folder) {
		try (Stream<Path> walk = Files.walk(folder)) {
			return walk.filter(Files::isRegularFile).sorted().toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static void write(Path folder, List<Path> files, String name, OutputStream out) throws IOException {
		ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
		for (Path file : files) {
			String relative = folder.relativize(file).toString().replace('\\', '/');
			// Weights do not compress; deflating them would only cost time.
			zip.setLevel(relative.endsWith(".safetensors") ? Deflater.NO_COMPRESSION : Deflater.DEFAULT_COMPRESSION);
			ZipEntry entry = new ZipEntry(name + "/" + relative);
			entry.setLastModifiedTime(Files.getLastModifiedTime(file));
			zip.putNextEntry(entry);
			Files.copy(file, zip);
			zip.closeEntry();
		}
		zip.finish();
	}

}
