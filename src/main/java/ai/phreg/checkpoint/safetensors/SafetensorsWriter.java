package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes safetensors files in the canonical layout the reference fixtures use: tensors in
 * name order, {@code __metadata__} first, header padded with spaces to a multiple of 8 so
 * the data section stays 8-byte aligned for memory-mapped readers.
 * <p>
 * The file is written to a temporary file beside the target and then moved into place, so
 * a crash or a failed conversion never leaves a truncated checkpoint under the real name,
 * and a reader never sees a half-written one.
 */
public final class SafetensorsWriter {

	private static final int ALIGNMENT = 8;

	private SafetensorsWriter() {
	}

	/**
	 * Writes (or atomically replaces) a safetensors file.
	 * @param file target path; its folder must exist
	 * @param metadata stored as {@code __metadata__}, usually containing
	 * {@code "format": "pt"}; {@code null} or empty writes no metadata entry
	 * @param tensors tensors in any order, with unique names
	 * @throws IllegalArgumentException on duplicate names or a header over the format's
	 * limit
	 * @throws IOException if writing fails; the target is then left untouched
	 */
	public static void write(Path file, Map<String, String> metadata, Collection<TensorData> tensors)
			throws IOException {
		List<TensorData> sorted = sorted(file.toString(), tensors);
		byte[] header = header(file.toString(), (metadata != null) ? metadata : Map.of(), sorted);
		Path target = file.toAbsolutePath();
		// Not Files.createTempFile: its owner-only permissions would carry over to the
		// target.
		Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
		try {
			try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
					StandardOpenOption.WRITE)) {
				write(channel, header, sorted);
			}
			move(temp, target);
		}
		catch (IOException | RuntimeException | Error ex) {
			Files.deleteIfExists(temp);
			throw ex;
		}
	}

	/**
	 * Writes a safetensors file's bytes to an open channel and forces them to the device,
	 * for a caller that places the file itself.
	 * @param name what the file is called in error messages
	 * @see #write(Path, Map, Collection)
	 */
	public static void write(FileChannel channel, String name, Map<String, String> metadata,
			Collection<TensorData> tensors) throws IOException {
		List<TensorData> sorted = sorted(name, tensors);
		write(channel, header(name, (metadata != null) ? metadata : Map.of(), sorted), sorted);
	}

	private static List<TensorData> sorted(String name, Collection<TensorData> tensors) {
		List<TensorData> sorted = new ArrayList<>(tensors);
		sorted.sort(Comparator.comparing(TensorData::name));
		for (int i = 1; i < sorted.size(); i++) {
			if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
				throw new IllegalArgumentException("duplicate tensor name '" + sorted.get(i).name() + "' for " + name);
			}
		}
		return sorted;
	}

	private static void write(FileChannel channel, byte[] header, List<TensorData> sorted) throws IOException {
		ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
		writeFully(channel, prefix.flip());
		writeFully(channel, ByteBuffer.wrap(header));
		for (TensorData tensor : sorted) {
			writeFully(channel, tensor.bytes());
		}
		channel.force(true);
	}

	private static byte[] header(String file, Map<String, String> metadata, List<TensorData> sorted) {
		ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
		if (!metadata.isEmpty()) {
			ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
			// sorted, so the same metadata gives the same bytes whatever map the caller
			// passed
			new TreeMap<>(metadata).forEach((key, value) -> meta.put(Objects.requireNonNull(key, "metadata key"),
					Objects.requireNonNull(value, () -> "metadata value of '" + key + "'")));
		}
		long offset = 0;
		for (TensorData tensor : sorted) {
			ObjectNode entry = root.putObject(tensor.name());
			entry.put("dtype", tensor.dtype().name());
			ArrayNode shape = entry.putArray("shape");
			for (long dim : tensor.shape()) {
				shape.add(dim);
			}
			long end = offset + tensor.bytes().remaining();
			entry.putArray("data_offsets").add(offset).add(end);
			offset = end;
		}
		byte[] json = SafetensorsHeader.JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
		int padded = (json.length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
		if (padded > SafetensorsLimits.FORMAT_MAX_HEADER_BYTES) {
			throw new IllegalArgumentException("header of " + file + " would be " + padded
					+ " bytes, over the format's limit of " + SafetensorsLimits.FORMAT_MAX_HEADER_BYTES);
		}
		byte[] header = new byte[padded];
		System.arraycopy(json, 0, header, 0, json.length);
		Arrays.fill(header, json.length, padded, (byte) ' ');
		return header;
	}

	private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
		while (buffer.hasRemaining()) {
			channel.write(buffer);
		}
	}

	private static void move(Path temp, Path target) throws IOException {
		try {
			Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		}
		catch (AtomicMoveNotSupportedException ex) {
			// Same folder, so this only happens on exotic file systems; replacing is the
			// best they offer.
			Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
		}
	}

}
