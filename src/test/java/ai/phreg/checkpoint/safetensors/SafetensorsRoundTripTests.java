package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Writes files with {@link SafetensorsWriter} and reads them back with
 * {@link SafetensorsReader}, checking values bit for bit and the on-disk layout byte for
 * byte.
 */
class SafetensorsRoundTripTests {

	/**
	 * Special values every float format must carry: ±0, extremes, subnormals, inf, NaN.
	 */
	private static final float[] SPECIAL_FLOATS = { 0f, -0f, 1f, -1.5f, 0.1f, Float.MIN_VALUE, -Float.MIN_VALUE,
			Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
			Float.NaN };

	@TempDir
	Path dir;

	@Test
	void f32KeepsEveryBitPattern() throws IOException {
		Path file = write(TensorData.ofFloats("x", new long[] { SPECIAL_FLOATS.length }, SPECIAL_FLOATS, DType.F32));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(bits(reader.readFloats("x"))).containsExactly(bits(SPECIAL_FLOATS));
		}
	}

	@Test
	void f64StoresFloatsExactly() throws IOException {
		Path file = write(TensorData.ofFloats("x", new long[] { SPECIAL_FLOATS.length }, SPECIAL_FLOATS, DType.F64));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			ByteBuffer raw = reader.readBytes("x");
			assertThat(raw.getDouble(8 * 8)).isEqualTo((double) Float.MAX_VALUE);
			assertThat(bits(reader.readFloats("x"))).containsExactly(bits(SPECIAL_FLOATS));
		}
	}

	@Test
	void f16StoresHandComputedBitsAndReadsThemBack() throws IOException {
		float[] values = { 0f, -0f, 1f, -2f, 65504f, 0x1p-14f, 0x1p-24f, 0x3ffp-24f, Float.POSITIVE_INFINITY,
				Float.NEGATIVE_INFINITY, Float.NaN, 65520f, 1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 0x1p-25f, 3 * 0x1p-25f,
				Float.MAX_VALUE, Float.MIN_VALUE };
		int[] expectedBits = { 0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00,
				0x7c00, 0x3c00, 0x3c02, 0x0000, 0x0002, 0x7c00, 0x0000 };
		float[] expectedValues = { 0f, -0f, 1f, -2f, 65504f, 0x1p-14f, 0x1p-24f, 0x3ffp-24f, Float.POSITIVE_INFINITY,
				Float.NEGATIVE_INFINITY, Float.NaN, Float.POSITIVE_INFINITY, 1f, 1f + 0x1p-9f, 0f, 0x1p-23f,
				Float.POSITIVE_INFINITY, 0f };
		Path file = write(TensorData.ofFloats("h", new long[] { 2, 9 }, values, DType.F16));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.info("h").byteLength()).isEqualTo(36);
			assertThat(shorts(reader.readBytes("h"))).containsExactly(expectedBits);
			assertThat(bits(reader.readFloats("h"))).containsExactly(bits(expectedValues));
		}
	}

	@Test
	void bf16StoresHandComputedBitsAndReadsThemBack() throws IOException {
		float[] values = { 0f, -0f, 1f, -3f, 0.1f, Float.MIN_NORMAL, Float.intBitsToFloat(0x00010000), Float.MAX_VALUE,
				Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f,
				Float.MIN_VALUE };
		int[] expectedBits = { 0x0000, 0x8000, 0x3f80, 0xc040, 0x3dcd, 0x0080, 0x0001, 0x7f80, 0x7f80, 0xff80, 0x7fc0,
				0x3f80, 0x3f82, 0x0000 };
		Path file = write(TensorData.ofFloats("b", new long[] { values.length }, values, DType.BF16));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(shorts(reader.readBytes("b"))).containsExactly(expectedBits);
			float[] read = reader.readFloats("b");
			for (int i = 0; i < read.length; i++) {
				assertThat(Float.floatToRawIntBits(read[i])).as("element %d", i).isEqualTo(expectedBits[i] << 16);
			}
			assertThat(read[4]).isEqualTo(0.10009765625f);
		}
	}

	@Test
	void integerTypesKeepTheirFullRange() throws IOException {
		int[] i32 = { Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE };
		int[] i16 = { Short.MIN_VALUE, -1, 0, 1, Short.MAX_VALUE };
		int[] i8 = { -128, -1, 0, 1, 127 };
		int[] u8 = { 0, 1, 127, 128, 255 };
		int[] bool = { 0, 1, 1, 0, 1 };
		long[] shape = { 5 };
		Path file = write(TensorData.ofInts("i32", shape, i32, DType.I32),
				TensorData.ofInts("i64", shape, i32, DType.I64), TensorData.ofInts("i16", shape, i16, DType.I16),
				TensorData.ofInts("i8", shape, i8, DType.I8), TensorData.ofInts("u8", shape, u8, DType.U8),
				TensorData.ofInts("bool", shape, bool, DType.BOOL));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.readInts("i32")).containsExactly(i32);
			assertThat(reader.readInts("i64")).containsExactly(i32);
			assertThat(reader.readLongs("i64")).containsExactly(Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE);
			assertThat(reader.readInts("i16")).containsExactly(i16);
			assertThat(reader.readInts("i8")).containsExactly(i8);
			assertThat(reader.readInts("u8")).containsExactly(u8);
			assertThat(reader.readLongs("u8")).containsExactly(0, 1, 127, 128, 255);
			assertThat(reader.readInts("bool")).containsExactly(bool);
			assertThat(reader.readBytes("i64").getLong(0)).isEqualTo(Integer.MIN_VALUE);
			assertThat(reader.readBytes("u8").get(4)).isEqualTo((byte) 0xff);
		}
	}

	@Test
	void readIntsRefusesInt64ValuesOutsideTheIntRange() throws IOException {
		ByteBuffer bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(1L << 40).flip();
		Path file = write(new TensorData("ids", DType.I64, new long[] { 2 }, bytes));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.readLongs("ids")).containsExactly(7, 1L << 40);
			assertThatIllegalArgumentException().isThrownBy(() -> reader.readInts("ids"))
				.withMessageContaining("1099511627776")
				.withMessageContaining("index 1")
				.withMessageContaining("readLongs");
		}
	}

	@Test
	void nonzeroBoolBytesReadAsOne() throws IOException {
		ByteBuffer bytes = ByteBuffer.wrap(new byte[] { 0, 1, 2, (byte) 0xff });
		Path file = write(new TensorData("mask", DType.BOOL, new long[] { 4 }, bytes));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.readInts("mask")).containsExactly(0, 1, 1, 1);
		}
	}

	@Test
	void metadataIsKeptAndUnmodifiable() throws IOException {
		Map<String, String> metadata = Map.of("format", "pt", "source", "dinov2 \u00e9\u4e2d \"quoted\"\n");
		Path file = dir.resolve("meta.safetensors");
		SafetensorsWriter.write(file, metadata,
				List.of(TensorData.ofFloats("a", new long[] { 1 }, new float[] { 1 }, DType.F32)));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.metadata()).isEqualTo(metadata);
			assertThatExceptionOfType(UnsupportedOperationException.class)
				.isThrownBy(() -> reader.metadata().put("x", "y"));
		}
	}

	@Test
	void theSameMetadataInAnyOrderGivesTheSameBytes() throws IOException {
		Map<String, String> forward = new LinkedHashMap<>();
		forward.put("format", "pt");
		forward.put("phreg.registers", "4");
		Map<String, String> backward = new LinkedHashMap<>();
		backward.put("phreg.registers", "4");
		backward.put("format", "pt");
		List<TensorData> tensors = List.of(TensorData.ofFloats("a", new long[] { 1 }, new float[] { 1 }, DType.F32));
		Path first = dir.resolve("forward.safetensors");
		Path second = dir.resolve("backward.safetensors");
		SafetensorsWriter.write(first, forward, tensors);
		SafetensorsWriter.write(second, backward, tensors);
		assertThat(Files.readAllBytes(second)).isEqualTo(Files.readAllBytes(first));
	}

	@Test
	void emptyMetadataWritesNoMetadataEntry() throws IOException {
		Path file = dir.resolve("nometa.safetensors");
		SafetensorsWriter.write(file, null,
				List.of(TensorData.ofFloats("a", new long[] { 1 }, new float[] { 1 }, DType.F32)));
		assertThat(headerJson(file)).doesNotContain("__metadata__");
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.metadata()).isEmpty();
		}
	}

	@Test
	void headerIsPaddedToEightWithMetadataFirstAndNamesSorted() throws IOException {
		Path file = dir.resolve("layout.safetensors");
		List<TensorData> tensors = new ArrayList<>();
		for (String name : List.of("zeta", "alpha", "Beta", "blocks.10.w", "blocks.2.w", "a")) {
			tensors.add(TensorData.ofFloats(name, new long[] { name.length() }, new float[name.length()], DType.F32));
		}
		SafetensorsWriter.write(file, Map.of("format", "pt"), tensors);
		byte[] bytes = Files.readAllBytes(file);
		long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
		assertThat(headerLength % 8).isZero();
		String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
		assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"}");
		String json = header.stripTrailing();
		assertThat(json).endsWith("}");
		assertThat(header.substring(json.length())).matches(" {0,7}");
		JsonNode root = JsonMapper.shared().readTree(json);
		List<String> keys = root.properties().stream().map(Map.Entry::getKey).toList();
		assertThat(keys).containsExactly("__metadata__", "Beta", "a", "alpha", "blocks.10.w", "blocks.2.w", "zeta");
		long expectedBegin = 0;
		for (String name : keys.subList(1, keys.size())) {
			JsonNode offsets = root.get(name).get("data_offsets");
			assertThat(offsets.get(0).longValue()).as(name).isEqualTo(expectedBegin);
			expectedBegin = offsets.get(1).longValue();
		}
		assertThat(8 + headerLength + expectedBegin).isEqualTo(bytes.length);
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.names()).containsExactly("Beta", "a", "alpha", "blocks.10.w", "blocks.2.w", "zeta");
			assertThat(reader.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(reader.names());
		}
	}

	@Test
	void scalarsAndEmptyTensorsRoundTrip() throws IOException {
		Path file = write(TensorData.ofFloats("scalar", new long[0], new float[] { 2.5f }, DType.F32),
				TensorData.ofFloats("empty", new long[] { 0, 3 }, new float[0], DType.BF16),
				TensorData.ofInts("none", new long[] { 4, 0 }, new int[0], DType.I64));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.info("scalar").shape()).isEmpty();
			assertThat(reader.info("scalar").elementCount()).isEqualTo(1);
			assertThat(reader.readFloats("scalar")).containsExactly(2.5f);
			assertThat(reader.info("empty").shape()).containsExactly(0, 3);
			assertThat(reader.readFloats("empty")).isEmpty();
			assertThat(reader.readInts("none")).isEmpty();
			assertThat(reader.readBytes("empty").remaining()).isZero();
		}
	}

	@Test
	void readBytesIsAReadOnlyLittleEndianViewThatCanBeWrittenAgain() throws IOException {
		float[] values = { 1f, -2f, 3.5f, 0.25f, -0f, 7f };
		Path source = write(TensorData.ofFloats("w", new long[] { 2, 3 }, values, DType.BF16),
				TensorData.ofInts("ids", new long[] { 3 }, new int[] { 3, 1, 2 }, DType.I64));
		Path copy = dir.resolve("copy.safetensors");
		try (SafetensorsReader reader = SafetensorsReader.open(source)) {
			ByteBuffer raw = reader.readBytes("w");
			assertThat(raw.isReadOnly()).isTrue();
			assertThat(raw.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
			assertThat(raw.remaining()).isEqualTo(12);
			List<TensorData> copied = new ArrayList<>();
			for (TensorInfo info : reader.tensors()) {
				copied.add(new TensorData(info.name(), info.dtype(), info.shape(), reader.readBytes(info.name())));
			}
			SafetensorsWriter.write(copy, reader.metadata(), copied);
		}
		assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(source));
	}

	@Test
	void chunkedReadsMatchWholeReads() throws IOException {
		float[] values = new float[1001];
		int[] ints = new int[1001];
		for (int i = 0; i < values.length; i++) {
			values[i] = (float) Math.sin(i) * i;
			ints[i] = i * 7919 - 500_000;
		}
		long[] shape = { 7, 11, 13 };
		Path file = write(TensorData.ofFloats("f32", shape, values, DType.F32),
				TensorData.ofFloats("f16", shape, values, DType.F16),
				TensorData.ofFloats("bf16", shape, values, DType.BF16),
				TensorData.ofFloats("f64", shape, values, DType.F64), TensorData.ofInts("i64", shape, ints, DType.I64),
				TensorData.ofInts("i32", shape, ints, DType.I32));
		// 20 bytes rounds down to 16: 2 doubles, 4 floats or 8 halves per mapping.
		try (SafetensorsReader whole = SafetensorsReader.open(file);
				SafetensorsReader chunked = SafetensorsReader.open(file, 20)) {
			for (String name : List.of("f32", "f16", "bf16", "f64")) {
				assertThat(bits(chunked.readFloats(name))).as(name).containsExactly(bits(whole.readFloats(name)));
			}
			assertThat(whole.readFloats("f32")).containsExactly(values);
			assertThat(chunked.readInts("i64")).containsExactly(ints);
			assertThat(chunked.readLongs("i32")).containsExactly(whole.readLongs("i64"));
		}
	}

	@Test
	void writerReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
		Path file = dir.resolve("model.safetensors");
		Files.writeString(file, "old contents");
		SafetensorsWriter.write(file, Map.of("format", "pt"),
				List.of(TensorData.ofFloats("a", new long[] { 2 }, new float[] { 1, 2 }, DType.F32)));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.readFloats("a")).containsExactly(1, 2);
		}
		try (Stream<Path> files = Files.list(dir)) {
			assertThat(files).containsExactly(file);
		}
	}

	@Test
	void writerRefusesDuplicateNamesWithoutTouchingTheTarget() throws IOException {
		Path file = dir.resolve("dup.safetensors");
		Files.writeString(file, "keep me");
		TensorData a = TensorData.ofFloats("w", new long[] { 1 }, new float[] { 1 }, DType.F32);
		TensorData b = TensorData.ofFloats("w", new long[] { 1 }, new float[] { 2 }, DType.F32);
		assertThatIllegalArgumentException().isThrownBy(() -> SafetensorsWriter.write(file, Map.of(), List.of(a, b)))
			.withMessageContaining("duplicate tensor name 'w'");
		assertThat(Files.readString(file)).isEqualTo("keep me");
		try (Stream<Path> files = Files.list(dir)) {
			assertThat(files).containsExactly(file);
		}
	}

	@Test
	void tensorDataRefusesInconsistentInput() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new TensorData("w", DType.F32, new long[] { 2, 3 }, ByteBuffer.allocate(20)))
			.withMessageContaining("needs 24 bytes but 20 were given");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorData.ofFloats("w", new long[] { 2, 3 }, new float[5], DType.F16))
			.withMessageContaining("6 elements but 5 values");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorData.ofFloats("w", new long[] { 1 }, new float[1], DType.I32))
			.withMessageContaining("use ofInts");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorData.ofInts("w", new long[] { 1 }, new int[1], DType.BF16))
			.withMessageContaining("use ofFloats");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorData.ofInts("w", new long[] { 1 }, new int[1], DType.F32))
			.withMessageContaining("use ofFloats");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new TensorData("__metadata__", DType.U8, new long[] { 0 }, ByteBuffer.allocate(0)))
			.withMessageContaining("reserved");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new TensorData("w", DType.U8, new long[] { -1 }, ByteBuffer.allocate(0)))
			.withMessageContaining("negative dimension -1");
	}

	@Test
	void ofIntsRefusesValuesTheTypeCannotHold() {
		assertOutOfRange(DType.U8, 256);
		assertOutOfRange(DType.U8, -1);
		assertOutOfRange(DType.BOOL, 2);
		assertOutOfRange(DType.I8, 128);
		assertOutOfRange(DType.I8, -129);
		assertOutOfRange(DType.I16, 32768);
		assertOutOfRange(DType.I16, -32769);
	}

	@Test
	void tensorDataIsImmuneToLaterChangesOfTheCallersArraysAndBuffers() {
		long[] shape = { 2 };
		ByteBuffer bytes = ByteBuffer.allocate(16).putInt(0, 5);
		bytes.position(8);
		TensorData tensor = new TensorData("t", DType.I32, shape, bytes);
		shape[0] = 99;
		bytes.position(0);
		assertThat(tensor.shape()).containsExactly(2);
		assertThat(tensor.bytes().remaining()).isEqualTo(8);
		tensor.bytes().position(4);
		assertThat(tensor.bytes().position()).isZero();
	}

	@Test
	void typedReadsRefuseTheWrongKindOfDtype() throws IOException {
		Path file = write(TensorData.ofFloats("f", new long[] { 1 }, new float[] { 1 }, DType.F16),
				TensorData.ofInts("i", new long[] { 1 }, new int[] { 1 }, DType.I32));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThatIllegalArgumentException().isThrownBy(() -> reader.readFloats("i"))
				.withMessageContaining("I32")
				.withMessageContaining("use readInts");
			assertThatIllegalArgumentException().isThrownBy(() -> reader.readInts("f"))
				.withMessageContaining("F16")
				.withMessageContaining("use readFloats");
			assertThatIllegalArgumentException().isThrownBy(() -> reader.readLongs("f"))
				.withMessageContaining("use readFloats");
		}
	}

	@Test
	void unknownNamesAreRefusedWithNearbyNames() throws IOException {
		List<TensorData> tensors = new ArrayList<>();
		for (int block = 0; block < 12; block++) {
			tensors.add(TensorData.ofFloats("blocks." + block + ".norm1.weight", new long[] { 1 }, new float[1],
					DType.F32));
		}
		Path file = write(tensors.toArray(TensorData[]::new));
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.contains("blocks.3.norm1.weight")).isTrue();
			assertThat(reader.contains("blocks.3.norm1.bias")).isFalse();
			assertThatIllegalArgumentException().isThrownBy(() -> reader.info("blocks.3.norm1.bias"))
				.withMessageContaining("no tensor 'blocks.3.norm1.bias'")
				.withMessageContaining("12 tensors")
				.withMessageContaining("blocks.2.norm1.weight, blocks.3.norm1.weight");
			assertThatIllegalArgumentException().isThrownBy(() -> reader.readFloats("nope"))
				.withMessageContaining(file.toString());
		}
	}

	@Test
	void readingAfterCloseFailsClearly() throws IOException {
		Path file = write(TensorData.ofFloats("a", new long[] { 1 }, new float[] { 1 }, DType.F32));
		SafetensorsReader reader = SafetensorsReader.open(file);
		ByteBuffer mapped = reader.readBytes("a");
		reader.close();
		assertThat(mapped.getFloat(0)).isEqualTo(1f);
		assertThat(reader.info("a").dtype()).isEqualTo(DType.F32);
		assertThatIllegalStateException().isThrownBy(() -> reader.readFloats("a")).withMessageContaining("closed");
	}

	private void assertOutOfRange(DType dtype, int value) {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TensorData.ofInts("t", new long[] { 2 }, new int[] { 0, value }, dtype))
			.withMessageContaining("value " + value + " at index 1 does not fit " + dtype);
	}

	private Path write(TensorData... tensors) throws IOException {
		Path file = Files.createTempFile(this.dir, "t", ".safetensors");
		SafetensorsWriter.write(file, Map.of("format", "pt"), List.of(tensors));
		return file;
	}

	private static String headerJson(Path file) throws IOException {
		byte[] bytes = Files.readAllBytes(file);
		int length = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
		return new String(bytes, 8, length, StandardCharsets.UTF_8);
	}

	private static int[] bits(float[] values) {
		int[] bits = new int[values.length];
		for (int i = 0; i < values.length; i++) {
			bits[i] = Float.floatToRawIntBits(values[i]);
		}
		return bits;
	}

	private static int[] shorts(ByteBuffer bytes) {
		int[] values = new int[bytes.remaining() / 2];
		for (int i = 0; i < values.length; i++) {
			values[i] = bytes.getShort(i * 2) & 0xffff;
		}
		return values;
	}

}
