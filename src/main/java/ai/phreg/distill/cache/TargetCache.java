package ai.phreg.distill.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
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
 * A shard's temporary file is named after it ({@code .<shard>.<random>.tmp}) and its
 * writer holds an exclusive lock on it from creation until it is moved into place. A
 * temporary file whose lock can be taken was left by a writer that died (the system
 * releases a process's locks when it ends, SIGKILL included), so
 * {@link #removeAbandonedWrites} deletes it, holding the lock; one another live writer is
 * writing, in this process or another (a request RabbitMQ redelivered while its first
 * worker still runs), is left alone. The shared storage must honour POSIX locks across
 * hosts, as local disks and NFSv4 do.
 * <p>
 * Why whole crops and not full-image maps cut to size: the teacher's attention is global
 * and its position embeddings depend on the input size, so the features of a crop are not
 * a crop of the full image's features, and crops are not aligned to patches. Keying by
 * the crop box keeps every cached target exactly what the teacher gives for the crop the
 * student sees.
 */
public final class TargetCache {

	/** The name of a shard's one tensor. */
	public static final String TENSOR = "target";

	static final String KEY = "phreg.target_key";

	/** The metadata entry with the CRC-32C of a shard's tensor bytes, in hexadecimal. */
	public static final String CHECKSUM = "phreg.crc32c";

	private final Path folder;

	// Counted from the training thread and the prefetch thread, which reads ahead.
	private final LongAdder hits = new LongAdder();

	private final LongAdder misses = new LongAdder();

	private final LongAdder rejected = new LongAdder();

	/** Temporary files this process is writing: see {@link #deleteIfAbandoned}. */
	private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

	/** Writes that lose their temporary file to a sweep before locking it, in a row. */
	private static final int WRITE_ATTEMPTS = 3;

	/**
	 * Opens the cache and removes the temporary files of writers that died.
	 * @param folder the shard folder, created if absent
	 */
	public TargetCache(Path folder) throws IOException {
		this.folder = Files.createDirectories(folder);
		removeAbandonedWrites();
	}

	/**
	 * Whether a shard is stored under {@code key}; {@link #read} still checks that it can
	 * be trusted.
	 */
	public boolean holds(TargetKey key) {
		return Files.isRegularFile(fileOf(key));
	}

	/**
	 * The target stored under {@code key} as float32 {@code (patches, dim)} in
	 * {@code manager}, or null when there is none that can be trusted.
	 */
	public NDArray read(TargetKey key, long patches, long dim, NDManager manager) {
		Path file = fileOf(key);
		if (!Files.isRegularFile(file)) {
			this.misses.increment();
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
			this.hits.increment();
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
		Path file = fileOf(key).toAbsolutePath().normalize();
		Files.createDirectories(file.getParent());
		// Sorted metadata: a shard written twice, in any process, has the same bytes (the
		// order of Map.of differs between JVMs).
		Map<String, String> metadata = new TreeMap<>(
				Map.of(KEY, key.text(), CHECKSUM, Long.toHexString(checksum(bytes.duplicate())), "format", "pt"));
		List<TensorData> tensors = List.of(new TensorData(TENSOR, DType.F16, target.getShape().getShape(), bytes));
		for (int attempt = 1; !writeLocked(file, metadata, tensors); attempt++) {
			if (attempt == WRITE_ATTEMPTS) {
				throw new IOException("The temporary files of " + file + " were taken for abandoned " + attempt
						+ " times in a row: does the cache folder's file system honour POSIX locks?");
			}
		}
	}

	/**
	 * Writes a shard through a locked temporary file, moved into place under the lock;
	 * false when a sweep took the new file for abandoned before it could be locked.
	 */
	private static boolean writeLocked(Path file, Map<String, String> metadata, List<TensorData> tensors)
			throws IOException {
		Path temp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
		WRITING.add(temp);
		try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
				FileLock lock = channel.lock()) {
			if (!Files.exists(temp)) {
				// Another process's sweep locked and deleted it between creation and
				// lock.
				return false;
			}
			SafetensorsWriter.write(channel, file.toString(), metadata, tensors);
			Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			return true;
		}
		finally {
			Files.deleteIfExists(temp);
			WRITING.remove(temp);
		}
	}

	/**
	 * Deletes the temporary files of writers that died mid-write (see the class comment).
	 * Reads every subfolder's listing: run it when a cache is opened or a partition runs
	 * again, not per shard.
	 * @return how many were deleted
	 */
	public int removeAbandonedWrites() throws IOException {
		int removed = 0;
		try (Stream<Path> files = Files.find(this.folder, 2,
				(path, attributes) -> attributes.isRegularFile() && isTemporary(path.getFileName().toString()))) {
			for (Path temp : (Iterable<Path>) files::iterator) {
				if (deleteIfAbandoned(temp.toAbsolutePath().normalize())) {
					removed++;
				}
			}
		}
		return removed;
	}

	/** Whether a file in the cache folder is a writer's temporary file. */
	public static boolean isTemporary(String name) {
		return name.startsWith(".") && name.endsWith(".tmp");
	}

	private static boolean deleteIfAbandoned(Path temp) throws IOException {
		// A file this process writes is never opened here: closing another channel on it
		// would release the writer's lock (POSIX locks belong to the process).
		if (WRITING.contains(temp)) {
			return false;
		}
		try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
				FileLock lock = channel.tryLock()) {
			return lock != null && Files.deleteIfExists(temp);
		}
		catch (NoSuchFileException | OverlappingFileLockException ex) {
			// Moved into place or removed meanwhile, or locked by this process.
			return false;
		}
	}

	/** Targets read back so far. */
	public long hits() {
		return this.hits.sum();
	}

	/** Lookups that found no shard. */
	public long misses() {
		return this.misses.sum();
	}

	/** Shards found but not trusted, deleted and recomputed. */
	public long rejected() {
		return this.rejected.sum();
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
		this.rejected.increment();
		this.misses.increment();
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
