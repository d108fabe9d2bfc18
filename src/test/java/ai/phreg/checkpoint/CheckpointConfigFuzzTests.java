package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import ai.phreg.Fixtures;
import ai.phreg.JsonMutator;
import ai.phreg.checkpoint.safetensors.AllocatedBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded structural mutations of every fixture family's config (types, huge and
 * non-finite numbers, missing and extra keys, long strings, deep nesting, repeated keys),
 * with and without a requested head count: the loader either maps the checkpoint or
 * refuses it with an {@link InvalidCheckpointException}, never anything else, and one
 * config never costs the heap more than a small budget.
 */
class CheckpointConfigFuzzTests {

	private static final long SEED = 0xc0f1605eL;

	private static final int ATTEMPTS_PER_FAMILY = 250;

	private static final long HEAP_BUDGET = 64L << 20;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	/** Each family's weights and the config file the loader finds beside them. */
	private static final List<Family> FAMILIES = List.of(
			new Family("dinov2/dinov2_reg4.hf/model.safetensors", "dinov2/dinov2_reg4.hf/config.json", "config.json"),
			new Family("dinov2/dinov2_reg0.torch.safetensors", "dinov2/dinov2_reg0.config.json",
					"dinov2_reg0.config.json"),
			new Family("timm/timm_vit_reg4.weights.safetensors", "timm/timm_vit_reg4.config.json",
					"timm_vit_reg4.config.json"),
			new Family("clip/clip_vit.weights.safetensors", "clip/clip_vit.config.json", "clip_vit.config.json"));

	@TempDir
	Path dir;

	@Test
	void mutatedConfigsAreMappedOrRefusedWithInvalidCheckpointException() throws IOException {
		JsonMutator mutator = new JsonMutator(SEED);
		Random random = new Random(SEED);
		int inputs = 0;
		int mapped = 0;
		long maxAllocated = 0;
		for (Family family : FAMILIES) {
			Path folder = Files.createDirectory(this.dir.resolve("family" + inputs));
			Path weights = folder.resolve(Path.of(family.weights()).getFileName());
			Files.copy(Fixtures.resolve(family.weights()), weights);
			Path config = folder.resolve(family.configName());
			ObjectNode original = (ObjectNode) JSON.readTree(Fixtures.resolve(family.config()).toFile());
			try (StateDict dict = StateDict.open(weights)) {
				for (int attempt = 0; attempt < ATTEMPTS_PER_FAMILY; attempt++) {
					Files.writeString(config, mutator.mutate(original, 1 << 14));
					LoadOptions options = random.nextBoolean() ? LoadOptions.DEFAULTS
							: LoadOptions.DEFAULTS.withHeads(1 + random.nextInt(8));
					String description = family.config() + " attempt " + attempt + " with seed " + SEED + ", "
							+ options.heads() + " heads: " + mutator.applied();
					boolean[] ok = { false };
					long allocated = AllocatedBytes.during(() -> ok[0] = mapOrRefuse(dict, options, description));
					inputs++;
					mapped += ok[0] ? 1 : 0;
					maxAllocated = Math.max(maxAllocated, allocated);
					assertThat(allocated).as("bytes allocated by %s", description).isLessThan(HEAP_BUDGET);
				}
			}
		}
		System.out.printf("config.json structural fuzz: %d inputs, %d mapped, %d refused, at most %d KB allocated "
				+ "per input%n", inputs, mapped, inputs - mapped, maxAllocated >> 10);
		assertThat(mapped).as("mutants that still describe the weights").isBetween(1, inputs - 1);
	}

	/** Whether the checkpoint was mapped; fails the test on any exception but ours. */
	private static boolean mapOrRefuse(StateDict dict, LoadOptions options, String description) {
		try {
			CheckpointLoader.convert(dict, options);
			return true;
		}
		catch (InvalidCheckpointException ex) {
			assertThat(ex.getMessage()).as(description).isNotBlank().hasSizeLessThan(4096);
			return false;
		}
		catch (Exception | Error ex) {
			throw new AssertionError(description + " escaped as " + ex, ex);
		}
	}

	private record Family(String weights, String config, String configName) {
	}

}
