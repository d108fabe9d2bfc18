package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Random access to the tensors of one safetensors file. The header is validated in full
 * by {@link #open}, so every later read stays inside the file; tensor bytes are then
 * memory-mapped region by region with {@code long} offsets. Only the tensor asked for is
 * touched, and the typed reads unmap each region once converted, which keeps
 * multi-gigabyte checkpoints out of the heap and out of the resident memory of the
 * process and makes files beyond 2 GiB work.
 * <p>
 * Safe for concurrent reads from several threads: every read maps its own region.
 */
public final class SafetensorsReader implements AutoCloseable {

	/**
	 * Largest array the JVM reliably allocates; bigger tensors cannot become one array.
	 */
	static final int MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;

	/** Per-mapping size when filling arrays; a multiple of every element size. */
	private static final int DEFAULT_CHUNK_BYTES = 1 << 30;

	private static final int NEARBY_NAMES = 8;

	private final Path file;

	private final FileChannel channel;

	private final long dataStart;

	private final Map<String, String> metadata;

	private final TreeMap<String, TensorInfo> tensors;

	private final List<TensorInfo> tensorList;

	private final int chunkBytes;

	private final AtomicLong transientMappedBytes = new AtomicLong();

	private final AtomicLong largestTransientMapping = new AtomicLong();

	private SafetensorsReader(Path file, FileChannel channel, SafetensorsHeader header, int chunkBytes) {
		this.file = file;
		this.channel = channel;
		this.dataStart = header.dataStart();
		this.metadata = header.metadata();
		this.tensors = header.tensors();
		this.tensorList = List.copyOf(this.tensors.values());
		this.chunkBytes = chunkBytes;
	}

	/**
	 * Opens a file and validates its whole header.
	 * @param file a safetensors file
	 * @return an open reader; close it to release the file handle
	 * @throws SafetensorsFormatException if the file is not well-formed safetensors
	 * @throws IOException if the file cannot be read
	 */
	public static SafetensorsReader open(Path file) throws IOException {
		return open(file, SafetensorsLimits.DEFAULTS);
	}

	/**
	 * Opens a file and validates its whole header within the given limits.
	 * @param file a safetensors file
	 * @param limits the largest header and tensor count to accept
	 * @return an open reader; close it to release the file handle
	 * @throws SafetensorsFormatException if the file is not well-formed safetensors or
	 * its header exceeds the limits
	 * @throws IOException if the file cannot be read
	 */
	public static SafetensorsReader open(Path file, SafetensorsLimits limits) throws IOException {
		return open(file, limits, DEFAULT_CHUNK_BYTES);
	}

	/** Lets tests exercise chunked reads without multi-gigabyte files. */
	static SafetensorsReader open(Path file, int chunkBytes) throws IOException {
		return open(file, SafetensorsLimits.DEFAULTS, chunkBytes);
	}

	private static SafetensorsReader open(Path file, SafetensorsLimits limits, int chunkBytes) throws IOException {
		FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
		try {
			SafetensorsHeader header = SafetensorsHeader.read(file, channel, limits);
			// Rounded down to a multiple of 8 so that no element straddles two mappings.
			return new SafetensorsReader(file, channel, header, Math.max(8, chunkBytes & ~7));
		}
		catch (IOException | RuntimeException | Error ex) {
			channel.close();
			throw ex;
		}
	}

	public Path file() {
		return this.file;
	}

	/** The {@code __metadata__} map, unmodifiable; empty if the file has none. */
	public Map<String, String> metadata() {
		return this.metadata;
	}

	/** All tensors, sorted by name. */
	public List<TensorInfo> tensors() {
		return this.tensorList;
	}

	/** All tensor names, sorted. */
	public Set<String> names() {
		return Collections.unmodifiableNavigableSet(this.tensors.navigableKeySet());
	}

	public boolean contains(String name) {
		return this.tensors.containsKey(name);
	}

	/**
	 * The header entry of one tensor.
	 * @param name tensor name
	 * @return its validated header entry
	 * @throws IllegalArgumentException if there is no such tensor; the message lists the
	 * known names that sort nearest to it, which are usually the intended ones
	 */
	public TensorInfo info(String name) {
		TensorInfo info = this.tensors.get(name);
		if (info == null) {
			throw new IllegalArgumentException("no tensor '" + name + "' in " + this.file + " (" + this.tensors.size()
					+ " tensors; nearby names: " + nearbyNames(name) + ")");
		}
		return info;
	}

	/**
	 * Reads a floating-point tensor as float32, row-major. F64 values are rounded to
	 * float; F16 and BF16 widen exactly.
	 * @param name tensor name
	 * @return a new array of {@code elementCount} values
	 * @throws IllegalArgumentException for integer dtypes or tensors too large for an
	 * array
	 * @throws IOException if the file cannot be read
	 */
	public float[] readFloats(String name) throws IOException {
		float[] values = new float[arrayLength(info(name))];
		readFloats(name, 0, FloatBuffer.wrap(values));
		return values;
	}

	/**
	 * Reads {@code target.remaining()} values of a floating-point tensor, from element
	 * {@code from} on (row-major), into {@code target} as float32, converting the stored
	 * dtype as {@link #readFloats(String)} does. Only that range of the file is mapped, a
	 * bounded piece at a time, and each piece is unmapped once converted, so neither the
	 * heap nor the resident pages of the process ever hold more than one piece of the
	 * file.
	 * @param name tensor name
	 * @param from the first element to read
	 * @param target receives the values from its position on; its position ends at its
	 * limit
	 * @throws IllegalArgumentException for integer dtypes or a range outside the tensor
	 * @throws IOException if the file cannot be read
	 */
	public void readFloats(String name, long from, FloatBuffer target) throws IOException {
		TensorInfo info = info(name);
		if (!info.dtype().isFloatingPoint()) {
			throw new IllegalArgumentException("tensor '" + name + "' in " + this.file + " is " + info.dtype()
					+ ", not floating point; use readInts");
		}
		long count = target.remaining();
		if (from < 0 || from + count > info.elementCount()) {
			throw new IllegalArgumentException("elements [" + from + ", " + (from + count) + ") are not inside tensor '"
					+ name + "' of " + info.elementCount() + " elements in " + this.file);
		}
		forEachChunk(info, from, count, (bytes, offset, chunk) -> {
			switch (info.dtype()) {
				case F32 -> target.put(bytes.asFloatBuffer());
				case F64 -> {
					DoubleBuffer doubles = bytes.asDoubleBuffer();
					for (int i = 0; i < chunk; i++) {
						target.put((float) doubles.get(i));
					}
				}
				case F16 -> {
					ShortBuffer halves = bytes.asShortBuffer();
					for (int i = 0; i < chunk; i++) {
						target.put(HalfFloats.halfToFloat(halves.get(i)));
					}
				}
				case BF16 -> {
					ShortBuffer halves = bytes.asShortBuffer();
					for (int i = 0; i < chunk; i++) {
						target.put(HalfFloats.bfloat16ToFloat(halves.get(i)));
					}
				}
			}
		});
	}

	/**
	 * Reads an integer tensor as int, row-major. U8 is unsigned (0..255), BOOL is 0 or 1,
	 * and I64 values outside the int range are refused rather than truncated.
	 * @param name tensor name
	 * @return a new array of {@code elementCount} values
	 * @throws IllegalArgumentException for floating-point dtypes, I64 values that do not
	 * fit an int, or tensors too large for an array
	 * @throws IOException if the file cannot be read
	 */
	public int[] readInts(String name) throws IOException {
		TensorInfo info = integerInfo(name, "readInts");
		int[] values = new int[arrayLength(info)];
		forEachChunk(info, 0, values.length, (bytes, offset, count) -> {
			if (info.dtype() == DType.I32) {
				bytes.asIntBuffer().get(values, offset, count);
				return;
			}
			for (int i = 0; i < count; i++) {
				long value = integerAt(info.dtype(), bytes, i);
				if (value != (int) value) {
					throw new IllegalArgumentException("tensor '" + name + "' in " + this.file + ": I64 value " + value
							+ " at index " + (offset + i) + " does not fit an int; use readLongs");
				}
				values[offset + i] = (int) value;
			}
		});
		return values;
	}

	/**
	 * Reads any integer tensor as long, row-major, with the same conventions as
	 * {@link #readInts} but without a range limit.
	 * @param name tensor name
	 * @return a new array of {@code elementCount} values
	 * @throws IllegalArgumentException for floating-point dtypes or tensors too large for
	 * an array
	 * @throws IOException if the file cannot be read
	 */
	public long[] readLongs(String name) throws IOException {
		TensorInfo info = integerInfo(name, "readLongs");
		long[] values = new long[arrayLength(info)];
		forEachChunk(info, 0, values.length, (bytes, offset, count) -> {
			if (info.dtype() == DType.I64) {
				bytes.asLongBuffer().get(values, offset, count);
				return;
			}
			for (int i = 0; i < count; i++) {
				values[offset + i] = integerAt(info.dtype(), bytes, i);
			}
		});
		return values;
	}

	/**
	 * Maps the raw bytes of one tensor, for dtypes or bulk copies the typed readers do
	 * not cover. Nothing is copied: the view reads the file directly and stays valid
	 * after {@link #close}.
	 * @param name tensor name
	 * @return a read-only little-endian buffer of exactly {@link TensorInfo#byteLength}
	 * bytes
	 * @throws IllegalArgumentException if the tensor exceeds what one buffer can address
	 * @throws IOException if the file cannot be read
	 */
	public ByteBuffer readBytes(String name) throws IOException {
		TensorInfo info = info(name);
		if (info.byteLength() > Integer.MAX_VALUE) {
			throw new IllegalArgumentException("tensor '" + name + "' in " + this.file + " has " + info.byteLength()
					+ " bytes, more than one ByteBuffer can address (" + Integer.MAX_VALUE + ")");
		}
		return map(info, info.begin(), info.byteLength());
	}

	/**
	 * A heap copy of the raw bytes of one tensor, the mapping they were read through
	 * released at once.
	 * @param name tensor name
	 * @return a little-endian buffer of exactly {@link TensorInfo#byteLength} bytes
	 * @throws IllegalArgumentException if the tensor exceeds what one buffer can address
	 * @throws IOException if the file cannot be read
	 */
	public ByteBuffer copyBytes(String name) throws IOException {
		TensorInfo info = info(name);
		if (info.byteLength() > MAX_ARRAY_ELEMENTS) {
			throw new IllegalArgumentException("tensor '" + name + "' in " + this.file + " has " + info.byteLength()
					+ " bytes, more than one array can hold (" + MAX_ARRAY_ELEMENTS + ")");
		}
		ByteBuffer copy = ByteBuffer.allocate((int) info.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
		forEachChunk(info, 0, info.elementCount(), (bytes, offset, count) -> copy.put(bytes));
		return copy.flip();
	}

	/**
	 * Bytes of this file mapped right now by the typed reads, which release each mapping
	 * once its values are converted: zero whenever no read is running. Mappings handed
	 * out by {@link #readBytes} are the caller's and not counted.
	 */
	public long transientMappedBytes() {
		return this.transientMappedBytes.get();
	}

	/** The largest single mapping the typed reads have made so far. */
	public long largestTransientMapping() {
		return this.largestTransientMapping.get();
	}

	@Override
	public void close() throws IOException {
		this.channel.close();
	}

	private TensorInfo integerInfo(String name, String method) {
		TensorInfo info = info(name);
		if (info.dtype().isFloatingPoint()) {
			throw new IllegalArgumentException("tensor '" + name + "' in " + this.file + " is " + info.dtype()
					+ ", not an integer type; use readFloats instead of " + method);
		}
		return info;
	}

	private static long integerAt(DType dtype, ByteBuffer bytes, int index) {
		return switch (dtype) {
			case I64 -> bytes.getLong(index * 8);
			case I32 -> bytes.getInt(index * 4);
			case I16 -> bytes.getShort(index * 2);
			case I8 -> bytes.get(index);
			case U8 -> bytes.get(index) & 0xff;
			case BOOL -> (bytes.get(index) != 0) ? 1 : 0;
			default -> throw new IllegalArgumentException(dtype + " is not an integer type");
		};
	}

	private int arrayLength(TensorInfo info) {
		long count = info.elementCount();
		if (count > MAX_ARRAY_ELEMENTS) {
			throw new IllegalArgumentException("tensor '" + info.name() + "' in " + this.file + " has " + count
					+ " elements, more than a Java array can hold (" + MAX_ARRAY_ELEMENTS
					+ "); use readBytes on a smaller tensor or split it");
		}
		return (int) count;
	}

	/**
	 * Maps elements {@code [from, from + count)} of the tensor in pieces of at most
	 * {@code chunkBytes}, each unmapped as soon as the consumer returns: one mapping
	 * cannot exceed 2 GiB, yet an F32 tensor of two billion elements is 8 GB, and a
	 * mapping left to the collector keeps every page read through it resident.
	 */
	private void forEachChunk(TensorInfo info, long from, long count, ChunkConsumer consumer) throws IOException {
		int elementSize = info.dtype().byteSize();
		long perChunk = this.chunkBytes / elementSize;
		long done = 0;
		while (done < count) {
			int chunk = (int) Math.min(perChunk, count - done);
			long length = (long) chunk * elementSize;
			MappedByteBuffer bytes = map(info, info.begin() + (from + done) * elementSize, length);
			this.largestTransientMapping.accumulateAndGet(length, Math::max);
			this.transientMappedBytes.addAndGet(length);
			try {
				consumer.accept(bytes, (int) done, chunk);
			}
			finally {
				DirectBuffers.release(bytes);
				this.transientMappedBytes.addAndGet(-length);
			}
			done += chunk;
		}
	}

	private MappedByteBuffer map(TensorInfo info, long begin, long length) throws IOException {
		if (!this.channel.isOpen()) {
			throw new IllegalStateException("reader for " + this.file + " is closed");
		}
		long fileEnd = this.dataStart + info.end();
		if (this.channel.size() < fileEnd) {
			// Validated at open, so the file was truncated since; mapping past the end
			// would crash with SIGBUS on first access rather than fail here.
			throw new SafetensorsFormatException(this.file, "file shrank to " + this.channel.size()
					+ " bytes since it was opened; tensor '" + info.name() + "' ends at byte " + fileEnd);
		}
		MappedByteBuffer bytes = this.channel.map(FileChannel.MapMode.READ_ONLY, this.dataStart + begin, length);
		bytes.order(ByteOrder.LITTLE_ENDIAN);
		return bytes;
	}

	private String nearbyNames(String name) {
		NavigableSet<String> names = this.tensors.navigableKeySet();
		Stream<String> before = names.headSet(name, false).descendingSet().stream().limit(NEARBY_NAMES / 2);
		Stream<String> after = names.tailSet(name, false).stream().limit(NEARBY_NAMES / 2);
		return Stream.concat(before.sorted(), after).collect(Collectors.joining(", "));
	}

	@FunctionalInterface
	private interface ChunkConsumer {

		void accept(ByteBuffer bytes, int offset, int count);

	}

}
