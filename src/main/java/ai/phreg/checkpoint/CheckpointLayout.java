package ai.phreg.checkpoint;

import java.nio.file.Path;

/** Where a family puts a checkpoint's weights and config for a target path. */
@FunctionalInterface
interface CheckpointLayout {

	/**
	 * Hugging Face's: a folder with {@code model.safetensors} and {@code config.json},
	 * which transformers and timm both read.
	 */
	CheckpointLayout HUGGING_FACE = folder("model.safetensors", "config.json");

	CheckpointFiles files(Path target);

	/**
	 * A checkpoint folder, as model hubs lay them out: the file names are fixed, so the
	 * folder is the checkpoint.
	 */
	static CheckpointLayout folder(String weights, String config) {
		return (folder) -> new CheckpointFiles(folder, folder.resolve(weights), folder.resolve(config));
	}

}
