package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import ai.phreg.JsonMutator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Damaged copies of a small valid file written by {@link SafetensorsWriter}: every
 * truncation and thousands of seeded random header mutations. Whatever the damage, the
 * reader must either read the file cleanly or refuse it with a
 * {@link SafetensorsFormatException}, never fail with a raw buffer, JSON, array or
 * allocation error.
 */
class SafetensorsCorruptionTests {

	/** Fixed so that a failing attempt can be replayed from its number alone. */
	private static final long SEED = 0x5afe7e45L;

	private static final int ATTEMPTS = 2_000;

	private static final int STRUCTURAL_ATTEMPTS = 1_000;

	/**
	 * What one hostile header may cost the heap: before the limits, a 50 MB string or
	 * 200,000 entries took over 600 MB.
	 */
	private static final long HEAP_BUDGET = 128L << 20;

	/**
	 * What the header is made of, so that many mutants still parse and reach the checks
	 * beyond the JSON syntax (types, shapes, offsets, coverage).
	 */
	private static final byte[] JSON_BYTES = "{}[]\":,-.0123456789eE FIBU_\t\n\\ax".getBytes(StandardCharsets.US_ASCII);

	private static final byte[] DTYPE_FIELD = "\"dtype\":\"".getBytes(StandardCharsets.US_ASCII);

	private static final float[] BIAS = { 0.5f, -1.25f, 3f };

	/** Exactly representable in BF16, so the values survive the round trip. */
	private static final float[] EMBED = { 1f, 2f, 3f, -4f, 0.5f, -0.25f };

	private static final int[] TOKEN_IDS = { 7, -1, 0, Integer.MAX_VALUE };

	@TempDir
	Path dir;

	@Test
	void everyTruncationIsRefusedAtOpen() throws IOException {
		byte[] full = Files.readAllBytes(writeSample());
		long dataStart = dataStart(full);
		Path file = this.dir.resolve("truncated.safetensors");
		for (int size = 0; size < full.length; size++) {
			Files.write(file, Arrays.copyOf(full, size));
			// Open checks the declared ranges against the file size, so missing data is
			// caught there too and no read ever meets a short file.
			String expected = (size < 8) ? "shorter than the 8-byte header length field"
					: (size < dataStart) ? "runs past the end of the file" : "(file truncated?)";
			assertThatExceptionOfType(SafetensorsFormatException.class)
				.as("truncated to %d of %d bytes (data starts at %d)", size, full.length, dataStart)
				.isThrownBy(() -> SafetensorsReader.open(file).close())
				.withMessageStartingWith(file.toString())
				.withMessageContaining(expected);
		}
		Files.write(file, full);
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertSampleValues(reader);
		}
	}

	@Test
	void dataTruncatedAfterOpenIsRefusedByTheRead() throws IOException {
		Path file = writeSample();
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
				channel.truncate(channel.size() - 1);
			}
			// Tensors still wholly inside the file remain readable; the last one lost a
			// byte, and mapping it would crash on access instead of failing cleanly.
			assertThat(reader.readFloats("bias")).containsExactly(BIAS);
			assertThatExceptionOfType(SafetensorsFormatException.class).isThrownBy(() -> reader.readInts("token_ids"))
				.withMessageContaining("file shrank to " + Files.size(file) + " bytes since it was opened")
				.withMessageContaining("tensor 'token_ids' ends at byte " + (Files.size(file) + 1));
		}
	}

	@Test
	void mutatedHeadersAreReadCleanlyOrRefused() throws IOException {
		byte[] original = Files.readAllBytes(writeSample());
		Path file = this.dir.resolve("mutant.safetensors");
		Random random = new Random(SEED);
		int opened = 0;
		for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
			Mutant mutant = new Mutant(original);
			int mutations = 1 + random.nextInt(3);
			for (int i = 0; i < mutations; i++) {
				mutant.mutate(random);
			}
			Files.write(file, mutant.bytes);
			String description = "attempt " + attempt + " with seed " + SEED + ": " + mutant.applied;
			Optional<Map<TensorInfo, Integer>> read = readEverything(file, description);
			if (read.isPresent()) {
				opened++;
				long dataLength = mutant.bytes.length - dataStart(mutant.bytes);
				assertThat(read.get()).as(description)
					.allSatisfy((info, length) -> assertThat((long) length).isEqualTo(info.elementCount()));
				assertThat(read.get().keySet().stream().mapToLong(TensorInfo::byteLength).sum()).as(description)
					.isEqualTo(dataLength);
			}
		}
		// Guards against mutations so crude that every mutant dies in the JSON parser,
		// or so mild that none is ever refused.
		assertThat(opened).isBetween(ATTEMPTS / 100, ATTEMPTS - ATTEMPTS / 100);
	}

	/**
	 * Structural damage the byte mutations above rarely reach: values of other types,
	 * huge and non-finite numbers, missing and extra fields, long strings, deep nesting,
	 * repeated keys and, now and then, more entries than the limit allows. Every mutant
	 * must be read or refused as malformed, and what it costs the heap stays bounded.
	 */
	@Test
	void structurallyMutatedHeadersAreReadOrRefusedWithinAHeapBudget() throws IOException {
		byte[] original = Files.readAllBytes(writeSample());
		int dataStart = (int) dataStart(original);
		ObjectNode header = (ObjectNode) SafetensorsHeader.JSON
			.readTree(new String(original, 8, dataStart - 8, StandardCharsets.UTF_8));
		byte[] data = Arrays.copyOfRange(original, dataStart, original.length);
		Path file = this.dir.resolve("structural.safetensors");
		JsonMutator mutator = new JsonMutator(SEED);
		Random random = new Random(SEED);
		int opened = 0;
		long maxAllocated = 0;
		for (int attempt = 0; attempt < STRUCTURAL_ATTEMPTS; attempt++) {
			String json = mutator.mutate(header, 1 << 16);
			if (random.nextInt(100) == 0) {
				json = withExtraEntries(json, SafetensorsLimits.DEFAULTS.maxTensors() + random.nextInt(20_000));
			}
			byte[] headerBytes = json.getBytes(StandardCharsets.UTF_8);
			Files.write(file,
					ByteBuffer.allocate(8 + headerBytes.length + data.length)
						.order(ByteOrder.LITTLE_ENDIAN)
						.putLong(headerBytes.length)
						.put(headerBytes)
						.put(data)
						.array());
			String description = "attempt " + attempt + " with seed " + SEED + ": " + mutator.applied();
			long[] read = { 0 };
			long allocated = AllocatedBytes
				.during(() -> read[0] = readEverything(file, description).isPresent() ? 1 : 0);
			opened += (int) read[0];
			maxAllocated = Math.max(maxAllocated, allocated);
			assertThat(allocated).as("bytes allocated by %s", description).isLessThan(HEAP_BUDGET);
		}
		System.out.printf(
				"safetensors header structural fuzz: %d inputs, %d read, %d refused, at most %d MB "
						+ "allocated per input%n",
				STRUCTURAL_ATTEMPTS, opened, STRUCTURAL_ATTEMPTS - opened, maxAllocated >> 20);
		assertThat(opened).isBetween(1, STRUCTURAL_ATTEMPTS - 1);
	}

	/** The header with zero-length entries appended, each valid on its own. */
	private static String withExtraEntries(String json, int count) {
		StringBuilder text = new StringBuilder(json.substring(0, json.lastIndexOf('}')));
		for (int i = 0; i < count; i++) {
			text.append(",\"extra.").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
		}
		return text.append('}').toString();
	}

	/**
	 * Opens the file and reads every tensor, returning each one's array length, or empty
	 * if the reader refused the file as malformed. Anything else it throws fails the test
	 * with the mutations that provoked it.
	 */
	private static Optional<Map<TensorInfo, Integer>> readEverything(Path file, String description) {
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			Map<TensorInfo, Integer> lengths = new LinkedHashMap<>();
			for (TensorInfo info : reader.tensors()) {
				int length = info.dtype().isFloatingPoint() ? reader.readFloats(info.name()).length
						: reader.readLongs(info.name()).length;
				lengths.put(info, length);
			}
			return Optional.of(lengths);
		}
		catch (SafetensorsFormatException ex) {
			assertThat(ex.file()).as(description).isEqualTo(file);
			return Optional.empty();
		}
		catch (Exception | Error ex) {
			throw new AssertionError(description + " escaped as " + ex, ex);
		}
	}

	private Path writeSample() throws IOException {
		Path file = this.dir.resolve("sample.safetensors");
		SafetensorsWriter.write(file, Map.of("format", "pt", "step", "1200"),
				List.of(TensorData.ofFloats("bias", new long[] { 3 }, BIAS, DType.F32),
						TensorData.ofFloats("embed", new long[] { 2, 3 }, EMBED, DType.BF16),
						TensorData.ofFloats("layer.scale", new long[0], new float[] { 2f }, DType.F32),
						TensorData.ofInts("token_ids", new long[] { 2, 2 }, TOKEN_IDS, DType.I32)));
		return file;
	}

	private static void assertSampleValues(SafetensorsReader reader) throws IOException {
		assertThat(reader.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("format", "pt", "step", "1200"));
		assertThat(reader.readFloats("bias")).containsExactly(BIAS);
		assertThat(reader.readFloats("embed")).containsExactly(EMBED);
		assertThat(reader.readFloats("layer.scale")).containsExactly(2f);
		assertThat(reader.readInts("token_ids")).containsExactly(TOKEN_IDS);
	}

	/** Where the data section starts according to the (possibly damaged) prefix. */
	private static long dataStart(byte[] file) {
		return 8 + ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
	}

	/**
	 * A copy of the file damaged in its length prefix and JSON header only; the data
	 * section is left alone because its bytes are not validated, just read.
	 */
	private static final class Mutant {

		private byte[] bytes;

		/** End of the header text, which insertions and deletions move. */
		private int headerEnd;

		private final List<String> applied = new ArrayList<>();

		Mutant(byte[] original) {
			this.bytes = original.clone();
			this.headerEnd = (int) dataStart(original);
		}

		void mutate(Random random) {
			int index = 8 + random.nextInt(this.headerEnd - 8);
			switch (random.nextInt(9)) {
				case 0 -> {
					int prefixIndex = random.nextInt(8);
					int bit = random.nextInt(8);
					this.bytes[prefixIndex] ^= (byte) (1 << bit);
					this.applied.add("flip bit " + bit + " of prefix byte " + prefixIndex);
				}
				case 1 -> {
					int prefixIndex = random.nextInt(8);
					this.bytes[prefixIndex] = (byte) random.nextInt(256);
					this.applied.add("prefix byte " + prefixIndex + " := " + (this.bytes[prefixIndex] & 0xff));
				}
				case 2 -> {
					int bit = random.nextInt(8);
					this.bytes[index] ^= (byte) (1 << bit);
					this.applied.add("flip bit " + bit + " of byte " + index);
				}
				case 3 -> {
					this.bytes[index] = (byte) random.nextInt(256);
					this.applied.add("byte " + index + " := " + (this.bytes[index] & 0xff));
				}
				case 4 -> {
					this.bytes[index] = jsonByte(random);
					this.applied.add("byte " + index + " := '" + (char) this.bytes[index] + "'");
				}
				case 5 -> {
					// Digits are shapes and offsets: changing one reaches the range
					// checks.
					List<Integer> digits = positions((i) -> Character.isDigit(this.bytes[i]));
					int digit = digits.get(random.nextInt(digits.size()));
					this.bytes[digit] = (byte) ('0' + random.nextInt(10));
					this.applied.add("digit " + digit + " := " + (char) this.bytes[digit]);
				}
				case 6 -> {
					// Same-size swaps (F32/I32, F16/BF16) still open and reinterpret the
					// data.
					List<Integer> dtypes = positions((i) -> startsWith(i, DTYPE_FIELD));
					int start = dtypes.get(random.nextInt(dtypes.size())) + DTYPE_FIELD.length;
					int end = start;
					while (end < this.headerEnd && this.bytes[end] != '"') {
						end++;
					}
					String dtype = DType.values()[random.nextInt(DType.values().length)].name();
					this.applied.add("dtype at " + start + " := " + dtype);
					resize(start, end, dtype.getBytes(StandardCharsets.US_ASCII), true);
				}
				case 7 -> {
					byte inserted = jsonByte(random);
					boolean adjust = random.nextBoolean();
					resize(index, index, new byte[] { inserted }, adjust);
					this.applied.add("insert '" + (char) inserted + "' at " + index + (adjust ? "" : ", prefix kept"));
				}
				default -> {
					boolean adjust = random.nextBoolean();
					this.applied
						.add("delete '" + (char) this.bytes[index] + "' at " + index + (adjust ? "" : ", prefix kept"));
					resize(index, index + 1, new byte[0], adjust);
				}
			}
		}

		private List<Integer> positions(IntPredicate matches) {
			return IntStream.range(8, this.headerEnd).filter(matches).boxed().toList();
		}

		private boolean startsWith(int index, byte[] prefix) {
			return index + prefix.length <= this.headerEnd
					&& Arrays.equals(this.bytes, index, index + prefix.length, prefix, 0, prefix.length);
		}

		/**
		 * Replaces bytes [from, to) of the header. With {@code adjustPrefix} the length
		 * prefix follows the edit, so the framing stays consistent and only the JSON is
		 * damaged; without, the prefix lies about where the data starts.
		 */
		private void resize(int from, int to, byte[] replacement, boolean adjustPrefix) {
			byte[] resized = new byte[this.bytes.length - (to - from) + replacement.length];
			System.arraycopy(this.bytes, 0, resized, 0, from);
			System.arraycopy(replacement, 0, resized, from, replacement.length);
			System.arraycopy(this.bytes, to, resized, from + replacement.length, this.bytes.length - to);
			int delta = replacement.length - (to - from);
			if (adjustPrefix) {
				ByteBuffer prefix = ByteBuffer.wrap(resized).order(ByteOrder.LITTLE_ENDIAN);
				prefix.putLong(0, prefix.getLong(0) + delta);
			}
			this.bytes = resized;
			this.headerEnd += delta;
		}

		private static byte jsonByte(Random random) {
			return JSON_BYTES[random.nextInt(JSON_BYTES.length)];
		}

	}

}
