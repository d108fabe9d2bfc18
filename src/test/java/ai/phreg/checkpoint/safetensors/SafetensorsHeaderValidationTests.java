package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Files whose header lies, one test per kind of lie. Each must be refused at open with a
 * {@link SafetensorsFormatException} naming the file and the problem, never with a raw
 * JSON, buffer or allocation error.
 */
class SafetensorsHeaderValidationTests {

	private static final String F32_PAIR = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]}";

	@TempDir
	Path dir;

	@Test
	void fileShorterThanTheLengthPrefix() throws IOException {
		for (int size = 0; size < 8; size++) {
			Path file = rawFile(new byte[size]);
			assertRefused(file, "not a safetensors file (it is shorter than the 8-byte header length field)");
		}
	}

	@Test
	void headerLengthTooSmallForJson() throws IOException {
		assertRefused(withPrefix(0, new byte[16]), "not a safetensors file (header length field out of range)");
		assertRefused(withPrefix(1, new byte[16]), "header length field out of range");
	}

	@Test
	void negativeHeaderLength() throws IOException {
		assertRefused(withPrefix(-5, "{}".getBytes(StandardCharsets.US_ASCII)), "header length field out of range");
		assertRefused(withPrefix(Long.MIN_VALUE, new byte[8]), "header length field out of range");
	}

	@Test
	void headerLengthOverTheFormatsLimit() throws IOException {
		assertRefused(withPrefix(100_000_001, new byte[8]), "header length field out of range");
		assertRefused(withPrefix(Long.MAX_VALUE, new byte[8]), "header length field out of range");
	}

	@Test
	void headerLengthPastTheEndOfTheFile() throws IOException {
		assertRefused(withPrefix(1000, "{}      ".getBytes(StandardCharsets.US_ASCII)),
				"not a safetensors file or truncated (the header length field runs past the end of the file)");
	}

	/**
	 * A path may point anywhere (a link to a system file, say), and messages end up in
	 * downloadable job reports: they must not quote what was read.
	 */
	@Test
	void messagesNeverQuoteTheBytesOfAForeignFile() throws IOException {
		byte[] passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			.getBytes(StandardCharsets.US_ASCII);
		long lengthField = ByteBuffer.wrap(passwd).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
		assertRefused(rawFile(passwd), "not a safetensors file (header length field out of range)")
			.doesNotContain(Long.toString(lengthField))
			.doesNotContain("72 6f")
			.doesNotContain("root");
		// A plausible length followed by text that is not JSON: the parser's own words
		// would quote the characters.
		assertRefused(withPrefix(passwd.length, passwd), "not a safetensors file (the header is not valid JSON")
			.doesNotContain("root")
			.doesNotContain("'r'")
			.doesNotContain("114");
		byte[] latin1 = "{\"cl\u00e9\":1}".getBytes(StandardCharsets.ISO_8859_1);
		assertRefused(withPrefix(latin1.length, latin1), "not a safetensors file (the header is not UTF-8 text)")
			.doesNotContain("cl");
	}

	@Test
	void headerOverTheConfiguredLimitIsRefusedWithoutReadingIt() throws IOException {
		// 50 MB of header, within the format's limit: sparse, so the test writes 8 bytes.
		Path file = withPrefix(50_000_000, new byte[0]);
		try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
			sparse.setLength(8 + 50_000_000);
		}
		long allocated = AllocatedBytes.during(() -> assertRefused(file,
				"header exceeds the limit of " + SafetensorsLimits.DEFAULTS.maxHeaderBytes() + " bytes"));
		assertThat(allocated).as("bytes allocated to refuse a 50 MB header").isLessThan(1 << 20);
		SafetensorsLimits small = new SafetensorsLimits(32, 10);
		assertThatExceptionOfType(SafetensorsFormatException.class)
			.isThrownBy(() -> SafetensorsReader.open(file(String.format("{\"w\":" + F32_PAIR + "}", 0, 8), 8), small))
			.withMessageContaining("header exceeds the limit of 32 bytes");
	}

	@Test
	void tooManyTensorsAreRefusedBeforeTheHeaderIsParsedIntoATree() throws IOException {
		int count = 200_000;
		StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
		for (int i = 0; i < count; i++) {
			header.append(",\"t").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
		}
		Path file = file(header.append('}').toString(), 0);
		long allocated = AllocatedBytes
			.during(() -> assertRefused(file, "header lists more than 65536 tensors, the limit for one file"));
		// Parsing all 200,000 entries into a tree took over 600 MB; counting them costs
		// the header bytes and the names of the entries counted.
		assertThat(allocated).as("bytes allocated to refuse %d tensors", count).isLessThan(64L << 20);
		SafetensorsLimits three = new SafetensorsLimits(SafetensorsLimits.DEFAULTS.maxHeaderBytes(), 3);
		assertThatExceptionOfType(SafetensorsFormatException.class)
			.isThrownBy(() -> SafetensorsReader.open(file, three))
			.withMessageContaining("more than 3 tensors");
	}

	@Test
	void deeplyNestedHeadersAreRefusedByTheParser() throws IOException {
		String deep = "{\"w\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
		assertRefused(file(deep, 0), "not a safetensors file (the header is nested too deeply");
	}

	@Test
	void headerNotUtf8() throws IOException {
		byte[] header = "{\"__metadata__\":{\"k\":\"..\"}}".getBytes(StandardCharsets.US_ASCII);
		header[22] = (byte) 0xc3;
		header[23] = (byte) 0x28;
		assertRefused(withPrefix(header.length, header), "the header is not UTF-8 text");
	}

	@Test
	void headerNotJson() throws IOException {
		assertRefused(file("{\"a\": ", 0), "header is not valid JSON");
		assertRefused(file("{\"a\":{}} trailing", 0), "header is not valid JSON");
		assertRefused(file("{'a':1}", 0), "header is not valid JSON", "line 1, column 2");
	}

	@Test
	void headerJsonNotAnObject() throws IOException {
		assertRefused(file("[1, 2]", 0), "header JSON must be an object, not ARRAY");
		assertRefused(file("\"F32\"", 0), "header JSON must be an object, not STRING");
		assertRefused(file("42", 0), "header JSON must be an object, not NUMBER");
		assertRefused(file("        ", 0), "header JSON must be an object, not empty");
	}

	@Test
	void duplicateKeys() throws IOException {
		String entry = String.format(F32_PAIR, 0, 8);
		assertRefused(file("{\"w\":" + entry + ",\"w\":" + entry + "}", 8), "the header repeats a key at line 1");
		assertRefused(file("{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"}}", 0), "the header repeats a key");
	}

	@Test
	void metadataNotAStringToStringMap() throws IOException {
		assertRefused(file("{\"__metadata__\":{\"format\":\"pt\",\"epoch\":3}}", 0),
				"__metadata__ must map strings to strings, but 'epoch' is NUMBER 3");
		assertRefused(file("{\"__metadata__\":{\"cfg\":{\"a\":\"b\"}}}", 0), "'cfg' is OBJECT");
		assertRefused(file("{\"__metadata__\":{\"x\":null}}", 0), "'x' is NULL");
		assertRefused(file("{\"__metadata__\":[\"pt\"]}", 0), "__metadata__ must be an object of strings, not ARRAY");
	}

	@Test
	void entryNotAnObject() throws IOException {
		assertRefused(file("{\"w\":[0,8]}", 0), "tensor 'w': entry must be an object, not ARRAY [0,8]");
	}

	@Test
	void entryMissingAField() throws IOException {
		assertRefused(file("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'w': missing 'dtype'");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "tensor 'w': missing 'shape'");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "tensor 'w': missing 'data_offsets'");
	}

	@Test
	void entryFieldsOfTheWrongType() throws IOException {
		assertRefused(file("{\"w\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
				"tensor 'w': 'dtype' must be a string, not 4");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8),
				"tensor 'w': 'shape' must be an array of integers, not \"2\"");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8),
				"tensor 'w': 'shape' must be an array of integers that fit a long, but [2.0] has 2.0 at index 0");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8),
				"'shape' must be an array of integers", "\"2\" at index 0");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8),
				"'shape' must be an array of integers that fit a long", "99999999999999999999");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"begin\":0}}}", 8),
				"tensor 'w': 'data_offsets' must be an array of integers");
	}

	@Test
	void unknownDtype() throws IOException {
		assertRefused(file("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8),
				"tensor 'w': unsupported dtype 'F8_E4M3'", "BF16");
		assertRefused(file("{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
				"unsupported dtype 'f32'");
	}

	@Test
	void negativeDimension() throws IOException {
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,8]}}", 8),
				"tensor 'w': negative dimension -3 in shape [2, -3]");
	}

	@Test
	void absurdShape() throws IOException {
		assertRefused(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}", 8),
				"tensor 'w': absurd shape [4294967296, 4294967296, 4]: element count overflows a long");
		assertRefused(file("{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}", 8),
				"tensor 'w': absurd shape [2305843009213693952]: byte count of F64 overflows a long");
	}

	@Test
	void dataOffsetsNotTwoNonNegativeIntegers() throws IOException {
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8),
				"tensor 'w': 'data_offsets' must be two non-negative integers [begin, end], not [8]");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8),
				"must be two non-negative integers", "[0,4,8]");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8),
				"must be two non-negative integers", "[-8,0]");
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}}", 8),
				"'data_offsets' must be an array of integers that fit a long", "8.5 at index 1");
	}

	@Test
	void dataOffsetsBeginAfterEnd() throws IOException {
		assertRefused(file("{\"w\":" + String.format(F32_PAIR, 8, 0) + "}", 8),
				"tensor 'w': data_offsets [8, 0] begin after they end");
	}

	@Test
	void byteLengthDisagreesWithShapeAndDtype() throws IOException {
		assertRefused(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,12]}}", 12),
				"tensor 'w': data_offsets [0, 12] span 12 bytes but F32[2, 3] needs 24 bytes");
		assertRefused(file("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12),
				"span 12 bytes but BF16[3] needs 6 bytes");
	}

	@Test
	void overlappingRanges() throws IOException {
		assertRefused(
				file("{\"a\":" + String.format(F32_PAIR, 0, 8) + ",\"b\":" + String.format(F32_PAIR, 4, 12) + "}", 12),
				"tensor 'b' at bytes [4, 12) overlaps tensor 'a' at bytes [0, 8)");
		assertRefused(
				file("{\"a\":" + String.format(F32_PAIR, 0, 8) + ",\"b\":" + String.format(F32_PAIR, 0, 8) + "}", 8),
				"tensor 'b' at bytes [0, 8) overlaps tensor 'a' at bytes [0, 8)");
	}

	@Test
	void gapsBetweenRanges() throws IOException {
		assertRefused(
				file("{\"a\":" + String.format(F32_PAIR, 0, 8) + ",\"b\":" + String.format(F32_PAIR, 12, 20) + "}", 20),
				"gap of 4 bytes in the data section after tensor 'a' (bytes [8, 12) belong to no tensor",
				"next is tensor 'b'");
		assertRefused(file("{\"a\":" + String.format(F32_PAIR, 16, 24) + "}", 24),
				"gap of 16 bytes in the data section at the start (bytes [0, 16)");
	}

	@Test
	void rangesNotCoveringTheDataSectionExactly() throws IOException {
		assertRefused(file("{\"a\":" + String.format(F32_PAIR, 0, 8) + "}", 12),
				"tensors cover 8 bytes but the data section has 12 bytes (4 trailing bytes belong to no tensor)");
		assertRefused(file("{}", 3), "tensors cover 0 bytes but the data section has 3 bytes");
		assertRefused(
				file("{\"a\":" + String.format(F32_PAIR, 0, 8) + ",\"b\":" + String.format(F32_PAIR, 8, 16) + "}", 12),
				"tensor 'b' ends at data byte 16 but the data section has only 12 bytes");
	}

	@Test
	void wellFormedEdgeCasesAreAccepted() throws IOException {
		try (SafetensorsReader reader = SafetensorsReader.open(file("{}", 0))) {
			assertThat(reader.tensors()).isEmpty();
			assertThat(reader.metadata()).isEmpty();
		}
		// Zero-length tensors may share an offset; unknown entry fields are ignored,
		// as the reference implementation does.
		String header = "{\"e1\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},"
				+ "\"e0\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[8,8],\"note\":1},"
				+ "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
				+ "\"b\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[8,9]}}";
		try (SafetensorsReader reader = SafetensorsReader.open(file(header, 9))) {
			assertThat(reader.names()).containsExactly("a", "b", "e0", "e1");
			assertThat(reader.readInts("b")).containsExactly(0);
			assertThat(reader.readLongs("e0")).isEmpty();
		}
	}

	private AbstractStringAssert<?> assertRefused(Path file, String... fragments) {
		SafetensorsFormatException refusal = catchThrowableOfType(SafetensorsFormatException.class, () -> {
			try (SafetensorsReader reader = SafetensorsReader.open(file)) {
				reader.tensors();
			}
		});
		assertThat(refusal).as("refusal of %s", file).isNotNull();
		assertThat(refusal.file()).isEqualTo(file);
		assertThat(refusal.getMessage()).startsWith(file.toString());
		return assertThat(refusal.getMessage().substring(file.toString().length())).contains(fragments);
	}

	/**
	 * A file with the given header (unpadded, length prefix matching) and zeroed data.
	 */
	private Path file(String headerJson, int dataBytes) throws IOException {
		byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
		ByteBuffer buffer = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
		buffer.putLong(header.length).put(header);
		return rawFile(buffer.array());
	}

	/** A file whose length prefix may disagree with what follows it. */
	private Path withPrefix(long declaredLength, byte[] rest) throws IOException {
		ByteBuffer buffer = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
		buffer.putLong(declaredLength).put(rest);
		return rawFile(buffer.array());
	}

	private Path rawFile(byte[] bytes) throws IOException {
		Path file = Files.createTempFile(this.dir, "lying", ".safetensors");
		Files.write(file, bytes);
		return file;
	}

}
