package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.TensorInfo;

/**
 * The named tensors of a checkpoint: one safetensors file, or a folder holding one file
 * or the shards of a sharded checkpoint. Files stay open (memory-mapped) until
 * {@link #close()}.
 */
public final class StateDict implements AutoCloseable {

	private final Path location;

	private final List<SafetensorsReader> readers;

	private final SortedMap<String, TensorSource> tensors;

	private StateDict(Path location, List<SafetensorsReader> readers, SortedMap<String, TensorSource> tensors) {
		this.location = location;
		this.readers = readers;
		this.tensors = tensors;
	}

	public static StateDict open(Path location) throws IOException {
		List<Path> files = safetensorsFiles(location);
		List<SafetensorsReader> readers = new ArrayList<>();
		SortedMap<String, TensorSource> tensors = new TreeMap<>();
		try {
			for (Path file : files) {
				SafetensorsReader reader = SafetensorsReader.open(file);
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
		return new StateDict(location, readers, Collections.unmodifiableSortedMap(tensors));
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
			if (files.size() > 1 && !isShardSet(files)) {
				throw new InvalidCheckpointException("Folder " + location
						+ " holds several unrelated .safetensors files; point at one of them: " + files);
			}
			return files;
		}
	}

	/** Shards are named like {@code model-00001-of-00003.safetensors}. */
	private static boolean isShardSet(List<Path> files) {
		return files.stream()
			.allMatch((file) -> file.getFileName().toString().matches(".*-\\d+-of-\\d+\\.safetensors"));
	}

	public Path location() {
		return this.location;
	}

	/** Every tensor name, sorted. */
	public SortedMap<String, TensorSource> tensors() {
		return this.tensors;
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
		public float[] read() throws IOException {
			return this.reader.readFloats(this.info.name());
		}

	}

}
