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

	String EXTENSION = ".safetensors";

	CheckpointFiles files(Path target);

	/**
	 * A checkpoint folder, as model hubs lay them out: the file names are fixed, so the
	 * folder is the checkpoint.
	 */
	static CheckpointLayout folder(String weights, String config) {
		return (folder) -> new CheckpointFiles(folder, folder.resolve(weights), folder.resolve(config));
	}

	/**
	 * One {@code <name>.safetensors} file, its config beside it as
	 * {@code <name>.config.json}, as repositories that publish a bare state dict have it.
	 * @param family what the file is, for the message when the target is not such a file
	 */
	static CheckpointLayout singleFile(String family) {
		return (target) -> {
			String name = target.getFileName().toString();
			if (!name.endsWith(EXTENSION) || name.length() == EXTENSION.length()) {
				throw new IllegalArgumentException(
						"A " + family + " checkpoint is one <name>" + EXTENSION + " file, not " + target);
			}
			String stem = name.substring(0, name.length() - EXTENSION.length());
			return new CheckpointFiles(target, target, target.resolveSibling(stem + ".config.json"));
		};
	}

}
