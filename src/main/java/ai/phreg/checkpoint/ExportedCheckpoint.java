package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.List;

/**
 * A checkpoint {@link CheckpointExporter} wrote.
 *
 * @param format the layout written
 * @param location what to load: the folder, or the file for single-file layouts
 * @param files every file written
 * @param notes how the family's own code will run the model differently from phreg's
 * model that was exported (another position-embedding resampling rule off the native
 * resolution, another token order); empty when it runs it identically
 */
public record ExportedCheckpoint(CheckpointFormat format, Path location, List<Path> files, List<String> notes) {
}
