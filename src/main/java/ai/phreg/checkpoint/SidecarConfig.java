package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.MissingNode;

/**
 * The JSON configuration that travels with a checkpoint: Hugging Face's
 * {@code config.json} in the checkpoint folder, OpenCLIP's {@code open_clip_config.json},
 * or {@code <name>.config.json} beside a single file. Weights alone do not tell the
 * number of attention heads or which position-embedding interpolation the model was
 * trained with.
 * <p>
 * Settings are addressed by dotted keys ({@code model_cfg.vision_cfg.width}). A setting
 * that is present must have the type the model needs: {@code 3.5} heads or {@code "12"}
 * layers are refused, naming the key, rather than read as absent or truncated. Messages
 * never quote the file's text, which may be any file a path points to.
 */
final class SidecarConfig {

	/**
	 * Real configs are a few kilobytes; a bigger one is not a model config and is not
	 * read into memory.
	 */
	static final long MAX_BYTES = 1 << 20;

	/** Real configs nest three levels deep. */
	private static final int MAX_NESTING_DEPTH = 32;

	private static final JsonMapper JSON = JsonMapper
		.builder(JsonFactory.builder()
			.streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
			.build())
		.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
		.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
		.build();

	private final Path file;

	private final JsonNode root;

	private SidecarConfig(Path file, JsonNode root) {
		this.file = file;
		this.root = root;
	}

	static SidecarConfig find(Path location) throws IOException {
		for (Path candidate : candidates(location)) {
			if (Files.isRegularFile(candidate)) {
				return read(candidate);
			}
		}
		return new SidecarConfig(null, MissingNode.getInstance());
	}

	private static SidecarConfig read(Path candidate) throws IOException {
		return new SidecarConfig(candidate, readObject(candidate, "Config"));
	}

	/**
	 * A JSON object of a checkpoint folder (a config, transformers' shard index), read
	 * strictly and within {@link #MAX_BYTES}.
	 * @param what how messages name the file
	 */
	static JsonNode readObject(Path candidate, String what) throws IOException {
		if (Files.size(candidate) > MAX_BYTES) {
			throw new InvalidCheckpointException(what + " " + candidate + " is larger than " + MAX_BYTES
					+ " bytes, which no model config is; remove it or point at the right folder");
		}
		JsonNode root;
		try {
			root = JSON.readTree(candidate.toFile());
		}
		catch (JacksonException ex) {
			// The parser's own message quotes the offending text; say only where.
			TokenStreamLocation where = ex.getLocation();
			String at = (where != null && where.getLineNr() > 0)
					? " at line " + where.getLineNr() + ", column " + where.getColumnNr() : "";
			String problem = (ex instanceof StreamConstraintsException) ? "nests too deeply" : "is not valid JSON";
			String message = ex.getOriginalMessage();
			if (message != null && message.startsWith("Duplicate")) {
				problem = "repeats a key";
			}
			throw new InvalidCheckpointException(what + " " + candidate + " " + problem + at + "; fix or remove it");
		}
		if (!root.isObject()) {
			throw new InvalidCheckpointException(what + " " + candidate + " is not a JSON object");
		}
		return root;
	}

	/**
	 * {@code a.b.safetensors} looks for {@code a.b.config.json}, {@code a.config.json},
	 * then folder files. A folder holding one safetensors file (a hub-format export)
	 * looks for that file's configs first, as if the file itself had been given.
	 */
	private static List<Path> candidates(Path location) {
		List<Path> candidates = new ArrayList<>();
		Path folder = location;
		if (Files.isDirectory(location)) {
			List<Path> weights = safetensorsIn(location);
			if (weights.size() == 1) {
				addStemConfigs(weights.get(0), location, candidates);
			}
		}
		else {
			folder = location.toAbsolutePath().getParent();
			addStemConfigs(location, folder, candidates);
		}
		// OpenCLIP repositories also ship transformers' config.json, which says nothing
		// about the OpenCLIP model the weights belong to.
		candidates.add(folder.resolve("open_clip_config.json"));
		candidates.add(folder.resolve("config.json"));
		return candidates;
	}

	private static void addStemConfigs(Path weights, Path folder, List<Path> candidates) {
		String stem = weights.getFileName().toString();
		for (int dot = stem.lastIndexOf('.'); dot > 0; dot = stem.lastIndexOf('.')) {
			stem = stem.substring(0, dot);
			candidates.add(folder.resolve(stem + ".config.json"));
		}
	}

	private static List<Path> safetensorsIn(Path folder) {
		try (Stream<Path> files = Files.list(folder)) {
			return files.filter((file) -> file.getFileName().toString().endsWith(".safetensors")).toList();
		}
		catch (IOException ex) {
			// Unreadable folders fail later, where the weights are read, with a better
			// message.
			return List.of();
		}
	}

	Optional<Path> file() {
		return Optional.ofNullable(this.file);
	}

	boolean has(String key) {
		return !at(key).isMissingNode();
	}

	/** Whether the config gives {@code key} a value other than {@code null}. */
	boolean sets(String key) {
		return has(key) && !at(key).isNull();
	}

	/**
	 * The first of several spellings of a setting that the config has, else the last:
	 * timm nests model arguments under {@code model_args} in some configs only.
	 */
	String first(String... keys) {
		for (String key : keys) {
			if (has(key)) {
				return key;
			}
		}
		return keys[keys.length - 1];
	}

	/** A whole number that fits an int; {@code 4.0} counts, {@code 4.5} does not. */
	Optional<Integer> integer(String key) throws InvalidCheckpointException {
		JsonNode node = at(key);
		if (node.isMissingNode()) {
			return Optional.empty();
		}
		boolean whole = node.isIntegralNumber() || (node.isFloatingPointNumber() && node.canConvertToExactIntegral());
		if (!whole || !node.canConvertToInt()) {
			throw wrongType(key, "a whole number", node);
		}
		return Optional.of(node.intValue());
	}

	/** A finite number. */
	Optional<Double> number(String key) throws InvalidCheckpointException {
		JsonNode node = at(key);
		if (node.isMissingNode()) {
			return Optional.empty();
		}
		if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
			throw wrongType(key, "a finite number", node);
		}
		return Optional.of(node.doubleValue());
	}

	/** A finite number strictly between {@code low} and {@code high}. */
	Optional<Double> number(String key, double low, double high) throws InvalidCheckpointException {
		Optional<Double> value = number(key);
		if (value.isPresent() && !(value.get() > low && value.get() < high)) {
			throw new InvalidCheckpointException("Config " + this.file + ": '" + key + "' is " + value.get()
					+ ", outside the range (" + low + ", " + high + ") a model can have");
		}
		return value;
	}

	Optional<Boolean> bool(String key) throws InvalidCheckpointException {
		JsonNode node = at(key);
		if (node.isMissingNode()) {
			return Optional.empty();
		}
		if (!node.isBoolean()) {
			throw wrongType(key, "true or false", node);
		}
		return Optional.of(node.booleanValue());
	}

	Optional<String> text(String key) throws InvalidCheckpointException {
		JsonNode node = at(key);
		if (node.isMissingNode()) {
			return Optional.empty();
		}
		if (!node.isString()) {
			throw wrongType(key, "a string", node);
		}
		return Optional.of(node.stringValue());
	}

	/** A non-empty array of finite numbers. */
	Optional<float[]> floats(String key) throws InvalidCheckpointException {
		JsonNode node = at(key);
		if (node.isMissingNode()) {
			return Optional.empty();
		}
		if (!node.isArray() || node.isEmpty()) {
			throw wrongType(key, "a list of numbers", node);
		}
		float[] values = new float[node.size()];
		for (int i = 0; i < values.length; i++) {
			JsonNode element = node.get(i);
			if (!element.isNumber() || !Float.isFinite((float) element.doubleValue())) {
				throw wrongType(key, "a list of finite numbers", node);
			}
			values[i] = (float) element.doubleValue();
		}
		return Optional.of(values);
	}

	private InvalidCheckpointException wrongType(String key, String expected, JsonNode node) {
		// The type, not the value: the value is the file's text.
		String actual = node.isNumber() ? "another number" : node.getNodeType().toString().toLowerCase();
		return new InvalidCheckpointException(
				"Config " + this.file + ": '" + key + "' must be " + expected + ", not " + actual);
	}

	/**
	 * The node at a dotted key; missing for {@code null} values too, which configs use
	 * for "not set".
	 */
	private JsonNode at(String key) {
		JsonNode node = this.root;
		for (String part : key.split("\\.")) {
			node = node.path(part);
		}
		return node.isNull() ? MissingNode.getInstance() : node;
	}

	@Override
	public String toString() {
		return (this.file != null) ? this.file.toString() : "(no config file)";
	}

}
