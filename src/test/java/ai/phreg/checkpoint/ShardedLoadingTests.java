package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.HalfFloats;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A sharded BF16 checkpoint, as transformers saves ViT-g or DINOv3-7B, streams into the
 * model a piece at a time: each parameter holds exactly the stored values, widened, and
 * nothing the loading mapped or staged outlives it.
 */
class ShardedLoadingTests {

	private static final long SEED = 11;

	/** Small enough for a test, with ViT-g's SwiGLU layers and layer scale. */
	private static final ViTConfig CONFIG = SyntheticCheckpoints.dinoV2(96, 3, 2, 56);

	@TempDir
	Path dir;

	@Test
	void aShardedBf16CheckpointLoadsWithEveryValueWidenedExactly() throws IOException {
		int shards = SyntheticCheckpoints.writeSharded(CONFIG, CheckpointFormat.DINOV2_HF, this.dir, DType.BF16,
				64 << 10, SEED);
		assertThat(shards).isGreaterThanOrEqualTo(3);
		assertThat(this.dir.resolve("model.safetensors.index.json")).exists();

		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel loaded = CheckpointLoader.load(this.dir, manager);

			assertThat(loaded.format()).isEqualTo(CheckpointFormat.DINOV2_HF);
			assertThat(loaded.model().config()).isEqualTo(CONFIG);
			long largestParameter = 0;
			for (Pair<String, Parameter> parameter : loaded.model().getParameters()) {
				float[] actual = parameter.getValue().getArray().toFloatArray();
				assertThat(actual).as(parameter.getKey()).isEqualTo(widenedBf16(parameter.getKey(), actual.length));
				largestParameter = Math.max(largestParameter, actual.length);
			}
			LoadFootprint footprint = loaded.footprint();
			// One buffer as large as the largest parameter, every mapping released, and
			// none larger than the largest stored tensor.
			assertThat(footprint.stagingBytes()).isEqualTo(largestParameter * Float.BYTES);
			assertThat(footprint.mappedBytesLeft()).isZero();
			assertThat(footprint.largestMapping()).isEqualTo(largestStoredTensorBytes());
		}
	}

	@Test
	void parametersLargerThanTheStagingBufferArriveInWholeRows() throws IOException {
		SyntheticCheckpoints.writeSharded(CONFIG, CheckpointFormat.DINOV2_HF, this.dir, DType.BF16, 64 << 10, SEED);
		try (NDManager manager = NDManager.newBaseManager(); StateDict dict = StateDict.open(this.dir)) {
			ConvertedCheckpoint converted = CheckpointLoader.convert(dict);
			VisionTransformer model = VisionTransformer.create(converted.config(), manager);
			int arraysOfTheModel = manager.getManagedArrays().size();
			// pos_embed has one row of 17 x 96 values: the buffer grows to hold it.
			long largestRow = 17 * 96;

			long stagingBytes = CheckpointLoader.fill(model, converted.parameters(), this.dir, 1024);

			assertThat(stagingBytes).isEqualTo(largestRow * Float.BYTES);
			for (Map.Entry<String, TensorSource> parameter : converted.parameters().entrySet()) {
				float[] actual = model.getParameters().get(parameter.getKey()).getArray().toFloatArray();
				assertThat(actual).as(parameter.getKey()).isEqualTo(widenedBf16(parameter.getKey(), actual.length));
			}
			// Every array the engine made on the way was closed again.
			assertThat(manager.getManagedArrays()).hasSize(arraysOfTheModel);
			assertThat(dict.transientMappedBytes()).isZero();
		}
	}

	@Test
	void shardsTheIndexDoesNotDescribeAreRefused() throws IOException {
		SyntheticCheckpoints.writeSharded(CONFIG, CheckpointFormat.DINOV2_HF, this.dir, DType.BF16, 64 << 10, SEED);
		Path index = this.dir.resolve("model.safetensors.index.json");
		ObjectNode json = (ObjectNode) JsonMapper.shared().readTree(index.toFile());
		ObjectNode weightMap = (ObjectNode) json.get("weight_map");
		// As when the shards of two saves are mixed: the index places a tensor elsewhere.
		Map.Entry<String, JsonNode> first = weightMap.properties().iterator().next();
		String tensor = first.getKey();
		String shard = first.getValue().asString();
		String elsewhere = weightMap.properties()
			.stream()
			.map((entry) -> entry.getValue().asString())
			.filter((other) -> !other.equals(shard))
			.findFirst()
			.orElseThrow();
		weightMap.put(tensor, elsewhere);
		JsonMapper.shared().writeValue(index.toFile(), json);

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> StateDict.open(this.dir))
			.withMessageContaining(index.toString())
			.withMessageContaining(tensor + " is in " + shard + ", listed in")
			.withMessageContaining(elsewhere);
	}

	private static float[] widenedBf16(String parameter, int count) {
		float[] values = SyntheticCheckpoints.values(SEED, parameter, count);
		for (int i = 0; i < values.length; i++) {
			values[i] = HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(values[i]));
		}
		return values;
	}

	private long largestStoredTensorBytes() throws IOException {
		try (StateDict dict = StateDict.open(this.dir)) {
			return dict.tensors()
				.values()
				.stream()
				.mapToLong((tensor) -> tensor.elementCount() * DType.BF16.byteSize())
				.max()
				.orElseThrow();
		}
	}

}
