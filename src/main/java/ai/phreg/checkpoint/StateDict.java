package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import ai.phreg.checkpoint.safetensors.SafetensorsLimits;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.checkpoint.safetensors.TensorInfo;
import tools.jackson.databind.JsonNode;

/**
 * The named tensors of a checkpoint: one safetensors file, or a folder holding one file
 * or the shards of a sharded checkpoint. Files stay open (memory-mapped) until
 * {@link #close()}.
 */
public final class StateDict implements AutoCloseable {

	private static final String SHARD_INDEX = "model.safetensors.index.json";

	private static final Pattern SHARD = Pattern.compile("(.*)-(\\d{1,6})-of-(\\d{1,6})\\.safetensors");

	private final Path location;

	private final List<SafetensorsReader> readers;

	private final SortedMap<String, TensorSource> tensors;

	private StateDict(Path location, List<SafetensorsReader> readers, SortedMap<String, TensorSource> tensors) {
		this.location = location;
		this.readers = readers;
		this.tensors = tensors;
	}

	public static StateDict open(Path location) throws IOException {
		return open(location, SafetensorsLimits.DEFAULTS);
	}

	/**
	 * Opens a checkpoint file or folder, validating every header within {@code limits}.
	 */
	public static StateDict open(Path location, SafetensorsLimits limits) throws IOException {
		List<Path> files = safetensorsFiles(location);
		List<SafetensorsReader> readers = new ArrayList<>();
		SortedMap<String, TensorSource> tensors = new TreeMap<>();
		try {
			for (Path file : files) {
				SafetensorsReader reader = SafetensorsReader.open(file, limits);
				readers.add(reader);
				for (TensorInfo info : reader.tensors()) {
					if (tensors.containsKey(info.name())) {
						throw new InvalidCheckpointException(
								"Tensor '" + info.name() + "' appears in more than one shard of " + location);
					}
					tensors.put(info.name(), new StoredTensor(reader, info));
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			for (SafetensorsReader reader : readers) {
				reader.close();
			}
			throw ex;
		}
		if (Files.isDirectory(location)) {
			checkShardIndex(location, tensors);
		}
		return new StateDict(location, readers, Collections.unmodifiableSortedMap(tensors));
	}

	/**
	 * transformers' {@code model.safetensors.index.json}, when a sharded folder has one,
	 * must name every tensor and the shard it is in: one that disagrees means shards of
	 * different saves were mixed, which could still look like a valid model.
	 */
	private static void checkShardIndex(Path folder, SortedMap<String, TensorSource> tensors) throws IOException {
		Path index = folder.resolve(SHARD_INDEX);
		if (!Files.isRegularFile(index)) {
			return;
		}
		JsonNode weightMap = SidecarConfig.readObject(index, "Shard index").path("weight_map");
		if (!weightMap.isObject()) {
			throw new InvalidCheckpointException("Shard index " + index + " has no 'weight_map' object");
		}
		List<String> problems = new ArrayList<>();
		for (Map.Entry<String, TensorSource> tensor : tensors.entrySet()) {
			String stored = ((StoredTensor) tensor.getValue()).reader().file().getFileName().toString();
			JsonNode listed = weightMap.get(tensor.getKey());
			if (listed == null) {
				problems.add(tensor.getKey() + " (in " + stored + ") is not listed");
			}
			else if (!stored.equals(listed.asString(""))) {
				problems.add(tensor.getKey() + " is in " + stored + ", listed in " + listed);
			}
		}
		weightMap.properties()
			.stream()
			.map(Map.Entry::getKey)
			.filter((key) -> !tensors.containsKey(key))
			.forEach((key) -> problems.add(key + " is listed but in no shard"));
		if (!problems.isEmpty()) {
			throw new InvalidCheckpointException("Shard index " + index + " does not describe the shards beside it ("
					+ problems.size() + " differences, such as " + problems.subList(0, Math.min(5, problems.size()))
					+ "); the shards may come from different saves");
		}
	}

	private static List<Path> safetensorsFiles(Path location) throws IOException {
		if (Files.isRegularFile(location)) {
			return List.of(location);
		}
		if (!Files.isDirectory(location)) {
			throw new InvalidCheckpointException("No checkpoint file or folder at " + location);
		}
		try (Stream<Path> listing = Files.list(location)) {
			List<Path> files = listing.filter((path) -> path.getFileName().toString().endsWith(".safetensors"))
				.sorted()
				.toList();
			if (files.isEmpty()) {
				throw new InvalidCheckpointException("Folder " + location + " holds no .safetensors file");
			}
			List<String> names = files.stream().map((file) -> file.getFileName().toString()).toList();
			List<String> shardSet = shardSet(names.get(0));
			if (files.size() > 1 && !shardSet.containsAll(names)) {
				throw new InvalidCheckpointException("Folder " + location
						+ " holds several unrelated .safetensors files; point at one of them: " + files);
			}
			// A missing shard may hold whole trailing blocks: the rest would still look
			// like a valid, shallower model.
			List<String> missing = shardSet.stream().filter((name) -> !names.contains(name)).toList();
			if (!missing.isEmpty()) {
				throw new InvalidCheckpointException(
						"Folder " + location + " holds an incomplete sharded checkpoint: missing " + missing);
			}
			return files;
		}
	}

	/**
	 * Every file name of the shard set {@code name} belongs to, named like
	 * {@code model-00001-of-00003.safetensors}; empty if it is no shard.
	 */
	private static List<String> shardSet(String name) {
		Matcher shard = SHARD.matcher(name);
		if (!shard.matches()) {
			return List.of();
		}
		int total = Integer.parseInt(shard.group(3));
		String format = "%s-%0" + shard.group(2).length() + "d-of-%s.safetensors";
		return IntStream.rangeClosed(1, total)
			.mapToObj((index) -> String.format(Locale.ROOT, format, shard.group(1), index, shard.group(3)))
			.toList();
	}

	public Path location() {
		return this.location;
	}

	/** Every tensor name, sorted. */
	public SortedMap<String, TensorSource> tensors() {
		return this.tensors;
	}

	/**
	 * A heap copy of a tensor exactly as stored, dtype and bytes; a copy so that it
	 * outlives this checkpoint and survives the file changing later.
	 */
	public TensorData copy(String key) throws IOException {
		if (!(this.tensors.get(key) instanceof StoredTensor stored)) {
			throw new IllegalArgumentException("No tensor '" + key + "' in " + this.location);
		}
		return new TensorData(key, stored.info().dtype(), stored.info().shape(), stored.reader().copyBytes(key));
	}

	/**
	 * Bytes of the files mapped right now to read values: zero whenever no read is
	 * running, as every read releases its mappings.
	 */
	public long transientMappedBytes() {
		return this.readers.stream().mapToLong(SafetensorsReader::transientMappedBytes).sum();
	}

	/** The largest single mapping any read of this checkpoint has made so far. */
	public long largestTransientMapping() {
		return this.readers.stream().mapToLong(SafetensorsReader::largestTransientMapping).max().orElse(0);
	}

	/** The {@code __metadata__} of the first file. */
	public Map<String, String> metadata() {
		return this.readers.get(0).metadata();
	}

	@Override
	public void close() throws IOException {
		for (SafetensorsReader reader : this.readers) {
			reader.close();
		}
	}

	private record StoredTensor(SafetensorsReader reader, TensorInfo info) implements TensorSource {

		@Override
		public long[] shape() {
			return this.info.shape().clone();
		}

		@Override
		public String name() {
			return this.info.name();
		}

		@Override
		public void readInto(long from, FloatBuffer target) throws IOException {
			this.reader.readFloats(this.info.name(), from, target);
		}

	}

}
