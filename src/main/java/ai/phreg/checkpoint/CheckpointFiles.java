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

	/**
	 * A checkpoint folder, as Hugging Face hubs lay them out: the file names are fixed,
	 * so the folder is the checkpoint.
	 */
	static CheckpointFiles inFolder(Path folder, String weights, String config) {
		return new CheckpointFiles(folder, folder.resolve(weights), folder.resolve(config));
	}

}
