package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.MissingNode;

/**
 * The JSON configuration that travels with a checkpoint: Hugging Face's
 * {@code config.json} in the checkpoint folder, OpenCLIP's {@code open_clip_config.json},
 * or {@code <name>.config.json} beside a single file. Weights alone do not tell the
 * number of attention heads or which position-embedding interpolation the model was
 * trained with.
 */
final class SidecarConfig {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final Path file;

	private final JsonNode root;

	private SidecarConfig(Path file, JsonNode root) {
		this.file = file;
		this.root = root;
	}

	static SidecarConfig find(Path location) throws IOException {
		for (Path candidate : candidates(location)) {
			if (Files.isRegularFile(candidate)) {
				try {
					JsonNode root = JSON.readTree(candidate.toFile());
					if (!root.isObject()) {
						throw new InvalidCheckpointException("Config " + candidate + " is not a JSON object");
					}
					return new SidecarConfig(candidate, root);
				}
				catch (JacksonException ex) {
					throw new InvalidCheckpointException(
							"Config " + candidate + " is not valid JSON: " + ex.getOriginalMessage());
				}
			}
		}
		return new SidecarConfig(null, MissingNode.getInstance());
	}

	/**
	 * {@code a.b.safetensors} looks for {@code a.b.config.json}, {@code a.config.json},
	 * then folder files.
	 */
	private static List<Path> candidates(Path location) {
		List<Path> candidates = new ArrayList<>();
		Path folder = location;
		if (!Files.isDirectory(location)) {
			folder = location.toAbsolutePath().getParent();
			String stem = location.getFileName().toString();
			for (int dot = stem.lastIndexOf('.'); dot > 0; dot = stem.lastIndexOf('.')) {
				stem = stem.substring(0, dot);
				candidates.add(folder.resolve(stem + ".config.json"));
			}
		}
		// OpenCLIP repositories also ship transformers' config.json, which says nothing
		// about the OpenCLIP model the weights belong to.
		candidates.add(folder.resolve("open_clip_config.json"));
		candidates.add(folder.resolve("config.json"));
		return candidates;
	}

	Optional<Path> file() {
		return Optional.ofNullable(this.file);
	}

	boolean has(String... path) {
		return !at(path).isMissingNode();
	}

	Optional<Integer> integer(String... path) {
		JsonNode node = at(path);
		return node.isIntegralNumber() ? Optional.of(node.intValue()) : Optional.empty();
	}

	Optional<Double> number(String... path) {
		JsonNode node = at(path);
		return node.isNumber() ? Optional.of(node.doubleValue()) : Optional.empty();
	}

	Optional<Boolean> bool(String... path) {
		JsonNode node = at(path);
		return node.isBoolean() ? Optional.of(node.booleanValue()) : Optional.empty();
	}

	Optional<String> text(String... path) {
		JsonNode node = at(path);
		return node.isString() ? Optional.of(node.stringValue()) : Optional.empty();
	}

	Optional<float[]> floats(String... path) {
		JsonNode node = at(path);
		if (!node.isArray() || node.isEmpty()) {
			return Optional.empty();
		}
		float[] values = new float[node.size()];
		for (int i = 0; i < values.length; i++) {
			values[i] = (float) node.get(i).doubleValue();
		}
		return Optional.of(values);
	}

	private JsonNode at(String... path) {
		JsonNode node = this.root;
		for (String part : path) {
			node = node.path(part);
		}
		return node;
	}

	@Override
	public String toString() {
		return (this.file != null) ? this.file.toString() : "(no config file)";
	}

}
