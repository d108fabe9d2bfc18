package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.types.Shape;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes checkpoints of any size in a family's layout as transformers shards them
 * ({@code model-0000N-of-0000M.safetensors} plus {@code model.safetensors.index.json}),
 * tensor by tensor, without a model in memory: every value is a seeded function of the
 * parameter name and the element index, so a test knows what each parameter must hold.
 */
final class SyntheticCheckpoints {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private SyntheticCheckpoints() {
	}

	/**
	 * DINOv2 ViT-g/14 as facebook/dinov2-giant: 1536 wide, 40 blocks of 24 heads, SwiGLU
	 * 4096 wide, 518 px; 1.1 billion parameters.
	 */
	static ViTConfig dinoV2Giant() {
		return dinoV2(1536, 40, 24, 518);
	}

	/** A DINOv2 model with ViT-g's SwiGLU feed-forward layers, of any size. */
	static ViTConfig dinoV2(int width, int depth, int heads, int imageSize) {
		return ViTConfig.builder()
			.setImageSize(imageSize)
			.setPatchSize(14)
			.setEmbedDim(width)
			.setDepth(depth)
			.setNumHeads(heads)
			.setMlpHiddenDim(FeedForward.swigluHidden(4 * width))
			.optFeedForward(FeedForward.SWIGLU_PACKED)
			.optLayerScale(true)
			.optLayerNormEps(1e-6f)
			.optActivation(MlpActivation.GELU)
			// What transformers' Dinov2Model does off the native size.
			.optPositionResampling(PositionResampling.BICUBIC)
			.build();
	}

	/**
	 * Writes the checkpoint.
	 * @param shardBytes a shard is closed once it holds this many bytes
	 * @return the number of shards
	 */
	static int writeSharded(ViTConfig config, CheckpointFormat format, Path folder, DType dtype, long shardBytes,
			long seed) throws IOException {
		FamilyCodec codec = FamilyCodecs.of(format);
		List<String> problems = codec.unsupported(config);
		if (!problems.isEmpty()) {
			throw new IllegalArgumentException(format + " cannot hold " + config + ": " + problems);
		}
		Files.createDirectories(folder);
		List<Path> parts = new ArrayList<>();
		Map<String, Integer> shardOf = new LinkedHashMap<>();
		List<TensorData> shard = new ArrayList<>();
		long[] shardSize = { 0 };
		long[] totalSize = { 0 };
		TensorSink sink = new TensorSink() {
			@Override
			public void add(String key, long[] shape, float[] values) {
				addUnchanged(key, TensorData.ofFloats(key, shape, values, dtype));
			}

			@Override
			public void addUnchanged(String key, TensorData stored) {
				shard.add(stored);
				shardOf.put(key, parts.size());
				shardSize[0] += stored.bytes().remaining();
				totalSize[0] += stored.bytes().remaining();
			}
		};
		for (Map.Entry<String, Shape> parameter : new VisionTransformer(config).parameterShapes().entrySet()) {
			long[] shape = parameter.getValue().getShape();
			codec.addTensors(parameter.getKey(), shape, values(seed, parameter.getKey(), parameter.getValue().size()),
					config, sink);
			if (shardSize[0] >= shardBytes) {
				parts.add(flush(folder, parts.size(), shard));
				shardSize[0] = 0;
			}
		}
		codec.addRequiredExtras(config, CarriedTensors.NONE, sink);
		if (!shard.isEmpty()) {
			parts.add(flush(folder, parts.size(), shard));
		}
		ObjectNode index = JSON.createObjectNode();
		index.putObject("metadata").put("total_size", totalSize[0]);
		ObjectNode weightMap = index.putObject("weight_map");
		for (int i = 0; i < parts.size(); i++) {
			Path named = folder.resolve(shardName(i, parts.size()));
			Files.move(parts.get(i), named);
		}
		shardOf.forEach((key, part) -> weightMap.put(key, shardName(part, parts.size())));
		JSON.writerWithDefaultPrettyPrinter()
			.writeValue(folder.resolve("model.safetensors.index.json").toFile(), index);
		CheckpointFiles files = codec.files(folder);
		JSON.writerWithDefaultPrettyPrinter()
			.writeValue(files.config().toFile(), codec.config(config, dtype, Normalization.IMAGENET));
		return parts.size();
	}

	/**
	 * The values of a parameter: small, finite, and different for every name and index
	 * (splitmix64 of both).
	 */
	static float[] values(long seed, String parameter, long count) {
		float[] values = new float[Math.toIntExact(count)];
		long base = seed * 0x9E3779B97F4A7C15L + parameter.hashCode();
		for (int i = 0; i < values.length; i++) {
			long z = base + (i + 1) * 0x9E3779B97F4A7C15L;
			z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
			z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
			z ^= z >>> 31;
			values[i] = ((z >>> 40) / (float) (1 << 24) - 0.5f) * 0.1f;
		}
		return values;
	}

	private static Path flush(Path folder, int number, List<TensorData> shard) throws IOException {
		Path part = folder.resolve("part-" + number + ".safetensors.partial");
		SafetensorsWriter.write(part, Map.of("format", "pt"), shard);
		shard.clear();
		return part;
	}

	private static String shardName(int index, int count) {
		return String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", index + 1, count);
	}

}
