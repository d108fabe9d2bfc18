package ai.phreg.distill.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.checkpoint.safetensors.TensorInfo;

/**
 * Denoised teacher targets on disk, one float16 safetensors shard per {@link TargetKey},
 * read back memory-mapped.
 * <p>
 * A shard is trusted only when everything checks: the header parses and fits the file,
 * the stored key equals the wanted key in full (not only its hash, the file name), the
 * tensor is float16 of the expected shape, and the checksum of its bytes matches.
 * Anything else (a partial file from a crash, a flipped bit, a foreign file) is deleted
 * and counted as rejected, and the caller recomputes the target. Shards are written to a
 * temporary file and moved into place, so a reader never sees half a shard.
 * <p>
 * Why whole crops and not full-image maps cut to size: the teacher's attention is global
 * and its position embeddings depend on the input size, so the features of a crop are not
 * a crop of the full image's features, and crops are not aligned to patches. Keying by
 * the crop box keeps every cached target exactly what the teacher gives for the crop the
 * student sees.
 */
public final class TargetCache {

	static final String TENSOR = "target";

	static final String KEY = "phreg.target_key";

	static final String CHECKSUM = "phreg.crc32c";

	private final Path folder;

	private long hits;

	private long misses;

	private long rejected;

	/**
	 * @param folder the shard folder, created if absent
	 */
	public TargetCache(Path folder) throws IOException {
		this.folder = Files.createDirectories(folder);
	}

	/**
	 * The target stored under {@code key} as float32 {@code (patches, dim)} in
	 * {@code manager}, or null when there is none that can be trusted.
	 */
	public NDArray read(TargetKey key, long patches, long dim, NDManager manager) {
		Path file = fileOf(key);
		if (!Files.isRegularFile(file)) {
			this.misses++;
			return null;
		}
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			Map<String, String> metadata = reader.metadata();
			TensorInfo info = reader.info(TENSOR);
			if (!key.text().equals(metadata.get(KEY)) || info.dtype() != DType.F16
					|| !Arrays.equals(info.shape(), new long[] { patches, dim })) {
				return reject(file);
			}
			ByteBuffer bytes = reader.readBytes(TENSOR);
			if (!Long.toHexString(checksum(bytes.duplicate())).equals(metadata.get(CHECKSUM))) {
				return reject(file);
			}
			NDArray halves = manager.create(bytes, new Shape(patches, dim), DataType.FLOAT16);
			NDArray target = halves.toType(DataType.FLOAT32, true);
			halves.close();
			this.hits++;
			return target;
		}
		catch (IOException | RuntimeException ex) {
			// Unreadable, malformed or missing the tensor: recomputing is always safe.
			return reject(file);
		}
	}

	/** Stores {@code target} {@code (patches, dim)} under {@code key}, as float16. */
	public void write(TargetKey key, NDArray target) throws IOException {
		byte[] halves = target.toType(DataType.FLOAT16, true).toByteArray();
		ByteBuffer bytes = ByteBuffer.wrap(halves).order(ByteOrder.LITTLE_ENDIAN);
		Path file = fileOf(key);
		Files.createDirectories(file.getParent());
		// Sorted metadata: a shard written twice, in any process, has the same bytes (the
		// order of Map.of differs between JVMs).
		SafetensorsWriter.write(
				file, new TreeMap<>(Map.of(KEY, key.text(), CHECKSUM, Long.toHexString(checksum(bytes.duplicate())),
						"format", "pt")),
				List.of(new TensorData(TENSOR, DType.F16, target.getShape().getShape(), bytes)));
	}

	/** Targets read back so far. */
	public long hits() {
		return this.hits;
	}

	/** Lookups that found no shard. */
	public long misses() {
		return this.misses;
	}

	/** Shards found but not trusted, deleted and recomputed. */
	public long rejected() {
		return this.rejected;
	}

	public Path folder() {
		return this.folder;
	}

	/** Spreads shards over 256 subfolders so that no folder grows huge. */
	Path fileOf(TargetKey key) {
		String name = key.fileName();
		return this.folder.resolve(name.substring(0, 2)).resolve(name);
	}

	private NDArray reject(Path file) {
		this.rejected++;
		this.misses++;
		try {
			Files.deleteIfExists(file);
		}
		catch (IOException ex) {
			// It is rewritten after the recomputation, which replaces it atomically.
		}
		return null;
	}

	private static long checksum(ByteBuffer bytes) {
		CRC32C crc = new CRC32C();
		crc.update(bytes);
		return crc.getValue();
	}

}
