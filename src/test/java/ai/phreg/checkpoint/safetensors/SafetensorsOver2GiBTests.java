package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * A file past 2 GiB, where int offsets would overflow. The big tensor is left as a hole
 * in a sparse file, so the test writes a few hundred bytes and needs neither 2 GB of disk
 * nor of heap.
 */
class SafetensorsOver2GiBTests {

	private static final long TWO_GIB = 1L << 31;

	/**
	 * 2.2 GB of F32. At 550M elements it would still fit one Java array, so the reader
	 * would not refuse {@code readFloats}; it is never called because the array alone
	 * exceeds the 2 GB test heap.
	 */
	private static final long BIG_ELEMENTS = 550_000_000L;

	private static final long BIG_BYTES = BIG_ELEMENTS * 4;

	private static final float[] SMALL = { 1.5f, -2f, 0x1p-20f, Float.MAX_VALUE };

	@TempDir
	Path dir;

	@Test
	void tensorsPastTwoGiBAreReadWithLongOffsets() throws IOException {
		Path file = this.dir.resolve("sparse.safetensors");
		byte[] header = header("{\"__metadata__\":{\"format\":\"pt\"},\"a_big\":{\"dtype\":\"F32\",\"shape\":["
				+ BIG_ELEMENTS + "],\"data_offsets\":[0," + BIG_BYTES + "]},"
				+ "\"b_small\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + BIG_BYTES + ","
				+ (BIG_BYTES + 16) + "]}}");
		ByteBuffer small = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
		small.asFloatBuffer().put(SMALL);
		long smallStart = header.length + BIG_BYTES;
		// SPARSE is only a hint, needed on NTFS; Linux file systems leave the skipped
		// region as a hole anyway.
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
				StandardOpenOption.SPARSE)) {
			writeFully(channel, ByteBuffer.wrap(header), 0);
			try {
				writeFully(channel, small, smallStart);
			}
			catch (IOException ex) {
				Assumptions.abort("file system refused a " + (smallStart + 16) + "-byte file with a hole: " + ex);
			}
		}
		assertThat(Files.size(file)).isEqualTo(smallStart + 16);

		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			TensorInfo big = reader.info("a_big");
			assertThat(big.byteLength()).isEqualTo(BIG_BYTES).isGreaterThan(TWO_GIB);
			assertThat(big.elementCount()).isEqualTo(BIG_ELEMENTS);
			assertThat(reader.info("b_small").begin()).isGreaterThan(TWO_GIB);
			assertThat(reader.readFloats("b_small")).containsExactly(SMALL);
			assertThat(reader.readBytes("b_small").getFloat(12)).isEqualTo(Float.MAX_VALUE);
			assertThatIllegalArgumentException().isThrownBy(() -> reader.readBytes("a_big"))
				.withMessageContaining("tensor 'a_big'")
				.withMessageContaining("has " + BIG_BYTES + " bytes, more than one ByteBuffer can address");
		}
		// The smallest chunk, two elements per mapping, so the chunk offsets are
		// computed past 2^31 too.
		try (SafetensorsReader chunked = SafetensorsReader.open(file, 8)) {
			assertThat(chunked.readFloats("b_small")).containsExactly(SMALL);
		}
	}

	/** Length prefix plus the JSON padded with spaces to 8 bytes, as the writer does. */
	private static byte[] header(String json) {
		byte[] text = json.getBytes(StandardCharsets.UTF_8);
		int padded = (text.length + 7) / 8 * 8;
		ByteBuffer header = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
		header.putLong(padded).put(text);
		byte[] bytes = header.array();
		Arrays.fill(bytes, 8 + text.length, bytes.length, (byte) ' ');
		return bytes;
	}

	private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
		while (buffer.hasRemaining()) {
			channel.write(buffer, position + buffer.position());
		}
	}

}
