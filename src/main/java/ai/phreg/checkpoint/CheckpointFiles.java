package ai.phreg.checkpoint;

import java.nio.file.Path;

/**
 * The files of one checkpoint.
 *
 * @param location what {@link CheckpointLoader#load} reads: the weights file or the
 * folder holding both files
 * @param weights the safetensors file
 * @param config the configuration file
 */
record CheckpointFiles(Path location, Path weights, Path config) {
}
