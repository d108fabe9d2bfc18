package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The config beside a checkpoint must describe its weights, and what neither tells (the
 * number of heads) is asked for, never guessed. Derived from the DINOv2 fixtures: the
 * Hugging Face folder with an edited {@code config.json}, the hub file with or without
 * its {@code <name>.config.json}.
 */
class CheckpointConfigTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final String RAW = "raw value";

	@TempDir
	Path dir;

	@Test
	void headsThatNoConfigGivesMustBeAskedFor() throws IOException {
		Path file = this.dir.resolve("dinov2_reg0.torch.safetensors");
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), file);

		// Without a config the 96-wide weights used to load with one 96-wide head.
		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(file, LoadOptions.DEFAULTS))
			.withMessageContaining("The number of attention heads of " + file + " is unknown")
			.withMessageContaining("no config file")
			.withMessageContaining("Give heads");

		assertThat(load(file, LoadOptions.DEFAULTS.withHeads(3))).isEqualTo(3);
		assertThatExceptionOfType(InvalidCheckpointException.class)
			.isThrownBy(() -> load(file, LoadOptions.DEFAULTS.withHeads(5)))
			.withMessageContaining("5 heads do not split the width 96");
	}

	@Test
	void requestedHeadsMustAgreeWithTheConfig() throws IOException {
		Path folder = huggingFaceCopy((config) -> {
		});

		assertThat(load(folder, LoadOptions.DEFAULTS.withHeads(3))).isEqualTo(3);
		assertThatExceptionOfType(InvalidCheckpointException.class)
			.isThrownBy(() -> load(folder, LoadOptions.DEFAULTS.withHeads(6)))
			.withMessageContaining("'num_attention_heads' gives 3 heads but 6 were asked for");
	}

	@Test
	void aConfigWithoutHeadsAsksForThemNamingTheKey() throws IOException {
		Path folder = huggingFaceCopy((config) -> config.remove("num_attention_heads"));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder, LoadOptions.DEFAULTS))
			.withMessageContaining("has no 'num_attention_heads'")
			.withMessageContaining("Give heads");
		assertThat(load(folder, LoadOptions.DEFAULTS.withHeads(3))).isEqualTo(3);
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', quoteCharacter = '`',
			textBlock = """
					hidden_size         | 768                     | 'hidden_size' is 768 but the weights have width 96
					num_hidden_layers   | 12                      | 'num_hidden_layers' is 12 but the weights have 3 blocks
					patch_size          | 16                      | 'patch_size' is 16 but the weights have patch size 14
					image_size          | 518                     | 'image_size' is 518 but the weights have a position embedding for image size 112
					num_register_tokens | 4                       | 'num_register_tokens' is 4 but the weights have 0 register tokens
					mlp_ratio           | 2.5                     | 'mlp_ratio' is 2.5 but the weights have an MLP 384 wide
					qkv_bias            | false                   | 'qkv_bias' is false but the weights have query/key/value biases
					model_type          | "vit"                   | 'model_type' is 'vit', not one of this checkpoint family's [dinov2, dinov2_with_registers]
					num_attention_heads | 3.5                     | 'num_attention_heads' must be a whole number, not another number
					num_attention_heads | "3"                     | 'num_attention_heads' must be a whole number, not string
					num_attention_heads | 99999999999999999999    | 'num_attention_heads' must be a whole number, not another number
					num_attention_heads | -3                      | 'num_attention_heads' gives -3 heads, which do not split the width 96
					num_attention_heads | 5                       | 'num_attention_heads' gives 5 heads, which do not split the width 96
					num_attention_heads | [3]                     | 'num_attention_heads' must be a whole number, not array
					layer_norm_eps      | 1e400                   | 'layer_norm_eps' must be a finite number, not another number
					layer_norm_eps      | -1e-6                   | 'layer_norm_eps' is -1.0E-6, outside the range (0.0, 1.0)
					hidden_act          | {"deep":{"er":[[[]]]}}  | 'hidden_act' must be a string, not object
					use_swiglu_ffn      | "no"                    | 'use_swiglu_ffn' must be true or false, not string
					""")
	void aConfigThatDisagreesWithTheWeightsIsRefusedNamingTheField(String key, String json, String expected)
			throws IOException {
		// Spliced in as text: parsed first, 1e400 would be written back as "Infinity".
		Path folder = huggingFaceCopy((config) -> config.put(key, RAW));
		Path config = folder.resolve("config.json");
		Files.writeString(config, Files.readString(config).replace("\"" + RAW + "\"", json));

		// Each of these loaded before: the value was ignored, truncated or trusted.
		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder, LoadOptions.DEFAULTS))
			.withMessageContaining(folder.resolve("config.json").toString())
			.withMessageContaining(expected);
	}

	@Test
	void everyDisagreementIsListedAtOnce() throws IOException {
		Path folder = huggingFaceCopy((config) -> config.put("hidden_size", 768).put("num_hidden_layers", 12));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder, LoadOptions.DEFAULTS))
			.withMessageContaining("'hidden_size' is 768")
			.withMessageContaining("'num_hidden_layers' is 12")
			.withMessageContaining("Use the config that came with these weights");
	}

	@Test
	void registerWeightsUnderAPlainDinoV2ModelTypeAreRefused() throws IOException {
		Path folder = copy(Fixtures.resolve("dinov2/dinov2_reg4.hf"), (config) -> config.put("model_type", "dinov2"));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder, LoadOptions.DEFAULTS))
			.withMessageContaining("'model_type' is 'dinov2', which has no register tokens, but the weights have 4");
	}

	@Test
	void aHubConfigForAnotherModelIsRefused() throws IOException {
		Path file = this.dir.resolve("dinov2_reg0.torch.safetensors");
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg0.torch.safetensors"), file);
		// The register model's config beside the plain model's weights.
		Files.copy(Fixtures.resolve("dinov2/dinov2_reg4.config.json"), this.dir.resolve("dinov2_reg0.config.json"));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(file, LoadOptions.DEFAULTS))
			.withMessageContaining("'num_register_tokens' is 4 but the weights have 0 register tokens");
	}

	@Test
	void aConfigThatIsNotJsonIsRefusedWithoutQuotingIt() throws IOException {
		Path folder = huggingFaceCopy((config) -> {
		});
		Files.writeString(folder.resolve("config.json"), "root:x:0:0:root:/root:/bin/bash\n");

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder, LoadOptions.DEFAULTS))
			.withMessageContaining("is not valid JSON at line 1")
			.satisfies((ex) -> assertThat(ex.getMessage().replace(folder.toString(), "")).doesNotContain("root")
				.doesNotContain("'r'"));

		Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"dinov2\", \"model_type\": \"vit\"}");
		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder, LoadOptions.DEFAULTS))
			.withMessageContaining("repeats a key");
	}

	@Test
	void anOversizedConfigIsNotRead() throws IOException {
		Path folder = huggingFaceCopy((config) -> config.put("padding", "x".repeat((int) SidecarConfig.MAX_BYTES)));

		assertThatExceptionOfType(InvalidCheckpointException.class).isThrownBy(() -> load(folder, LoadOptions.DEFAULTS))
			.withMessageContaining("is larger than " + SidecarConfig.MAX_BYTES + " bytes");
	}

	/** Loads and returns the number of heads the model got. */
	private static int load(Path location, LoadOptions options) throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			return CheckpointLoader.load(location, manager, options).model().config().numHeads();
		}
	}

	private Path huggingFaceCopy(ConfigEdit edit) throws IOException {
		return copy(Fixtures.resolve("dinov2/dinov2_reg0.hf"), edit);
	}

	private Path copy(Path source, ConfigEdit edit) throws IOException {
		Path folder = Files.createDirectory(this.dir.resolve(source.getFileName()));
		Files.copy(source.resolve("model.safetensors"), folder.resolve("model.safetensors"));
		ObjectNode config = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
		edit.apply(config);
		JSON.writeValue(folder.resolve("config.json").toFile(), config);
		return folder;
	}

	@FunctionalInterface
	private interface ConfigEdit {

		void apply(ObjectNode config);

	}

}
