package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.safetensors.DType;

/**
 * Peak resident memory while loading a ViT-g sized sharded BF16 checkpoint, against the
 * size of the float32 model it becomes. Two steps, each its own JVM so that the peak of
 * one is not the other's: {@code generate DIR} writes the checkpoint
 * ({@link SyntheticCheckpoints#dinoV2Giant}, Hugging Face layout, 1 GB shards),
 * {@code load
 * DIR} loads it and prints one JSON line. {@code bench/large-checkpoint.sh} runs both.
 */
public final class LargeCheckpointBenchmark {

	private LargeCheckpointBenchmark() {
	}

	public static void main(String[] args) throws IOException {
		if (args.length != 2 || !(args[0].equals("generate") || args[0].equals("load"))) {
			System.err.println("usage: LargeCheckpointBenchmark generate|load DIR");
			System.exit(2);
		}
		Path folder = Path.of(args[1]);
		if (args[0].equals("generate")) {
			long start = System.nanoTime();
			int shards = SyntheticCheckpoints.writeSharded(SyntheticCheckpoints.dinoV2Giant(),
					CheckpointFormat.DINOV2_HF, folder, DType.BF16, 1L << 30, 1);
			System.out.printf(Locale.ROOT, "wrote %d shards to %s in %.1f s%n", shards, folder,
					(System.nanoTime() - start) / 1e9);
			return;
		}
		try (NDManager manager = NDManager.newBaseManager()) {
			// The engine's libraries loaded before the baseline, so it measures the JVM
			// and libtorch without any weights.
			manager.zeros(new ai.djl.ndarray.types.Shape(1)).close();
			long baseline = kib("VmRSS");
			long start = System.nanoTime();
			LoadedModel loaded = CheckpointLoader.load(folder, manager);
			double seconds = (System.nanoTime() - start) / 1e9;
			long peak = kib("VmHWM");
			long modelBytes = loaded.parameterCount() * Float.BYTES;
			LoadFootprint footprint = loaded.footprint();
			System.out.printf(Locale.ROOT,
					"{\"parameters\": %d, \"checkpoint_mb\": %d, \"model_fp32_mb\": %d, \"baseline_rss_mb\": %d, "
							+ "\"peak_rss_mb\": %d, \"peak_over_baseline_mb\": %d, \"staging_mb\": %d, "
							+ "\"largest_mapping_mb\": %d, \"mapped_left\": %d, \"load_s\": %.1f}%n",
					loaded.parameterCount(), checkpointBytes(folder) >> 20, modelBytes >> 20, baseline >> 10,
					peak >> 10, (peak - baseline) >> 10, footprint.stagingBytes() >> 20,
					footprint.largestMapping() >> 20, footprint.mappedBytesLeft(), seconds);
		}
	}

	private static long kib(String field) throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith(field + ":")) {
				return Long.parseLong(line.replaceAll("\\D", ""));
			}
		}
		throw new IllegalStateException("/proc/self/status has no " + field);
	}

	private static long checkpointBytes(Path folder) throws IOException {
		try (Stream<Path> files = Files.list(folder)) {
			return files.filter((file) -> file.toString().endsWith(".safetensors")).mapToLong((file) -> {
				try {
					return Files.size(file);
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			}).sum();
		}
	}

}
