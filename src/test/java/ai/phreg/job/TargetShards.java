package ai.phreg.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.distill.cache.TargetCache;

/**
 * The shards of a target cache folder: each shard's path relative to the folder, with the
 * SHA-256 of its bytes. Two snapshots are equal when the caches hold the same shards bit
 * for bit.
 */
final class TargetShards {

	private TargetShards() {
	}

	static Map<String, String> of(Path folder) {
		Map<String, String> shards = new TreeMap<>();
		if (!Files.isDirectory(folder)) {
			return shards;
		}
		try (Stream<Path> files = Files.walk(folder)) {
			for (Path file : files.filter(Files::isRegularFile).toList()) {
				shards.put(folder.relativize(file).toString(), sha256(file));
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return shards;
	}

	/** The writers' temporary files in a target cache folder. */
	static List<Path> temporaryFiles(Path folder) throws IOException {
		try (Stream<Path> files = Files.walk(folder)) {
			return files.filter((file) -> TargetCache.isTemporary(file.getFileName().toString())).toList();
		}
	}

	/**
	 * The shards of a target cache folder that do not verify: unreadable, or whose tensor
	 * bytes do not have the checksum their metadata records.
	 */
	static List<Path> unverified(Path folder) throws IOException {
		try (Stream<Path> files = Files.walk(folder)) {
			return files.filter(Files::isRegularFile)
				.filter((file) -> !TargetCache.isTemporary(file.getFileName().toString()))
				.filter((file) -> !verifies(file))
				.toList();
		}
	}

	private static boolean verifies(Path shard) {
		try (SafetensorsReader reader = SafetensorsReader.open(shard)) {
			CRC32C crc = new CRC32C();
			crc.update(reader.readBytes(TargetCache.TENSOR));
			return Long.toHexString(crc.getValue()).equals(reader.metadata().get(TargetCache.CHECKSUM));
		}
		catch (IOException | RuntimeException ex) {
			return false;
		}
	}

	private static String sha256(Path file) throws IOException {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
