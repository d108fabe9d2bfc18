package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.image.Normalization;
import ai.phreg.model.RegisterPlacement;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the families' own loaders read besides the weights: Hugging Face's
 * {@code preprocessor_config.json} (for {@code AutoImageProcessor}) and timm's
 * architecture name and {@code pretrained_cfg}.
 */
class ExportedConfigTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path folder;

	@Test
	void aHuggingFaceFolderHasAPreprocessorConfigThatPreparesImagesAsPhregDoes() throws IOException {
		Normalization normalization = Normalization.CLIP;
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).teacher();
			int size = model.config().imageSize();

			ExportedCheckpoint exported = CheckpointExporter.export(model, CheckpointFormat.DINOV2_HF,
					this.folder.resolve("hf"), DType.F32, Map.of(), normalization);

			Path preprocessor = this.folder.resolve("hf").resolve("preprocessor_config.json");
			assertThat(exported.files()).contains(preprocessor);
			JsonNode json = JSON.readTree(preprocessor.toFile());
			assertThat(json.path("image_processor_type").asString()).isEqualTo("BitImageProcessor");
			assertThat(json.path("size").path("shortest_edge").asInt()).isEqualTo(size);
			assertThat(json.path("crop_size").path("height").asInt()).isEqualTo(size);
			assertThat(json.path("crop_size").path("width").asInt()).isEqualTo(size);
			assertThat(json.path("resample").asInt()).as("PIL bicubic").isEqualTo(3);
			assertThat(json.path("rescale_factor").asDouble()).isEqualTo(1.0 / 255);
			for (int channel = 0; channel < 3; channel++) {
				assertThat((float) json.path("image_mean").get(channel).asDouble())
					.isEqualTo(normalization.mean()[channel]);
				assertThat((float) json.path("image_std").get(channel).asDouble())
					.isEqualTo(normalization.std()[channel]);
			}
			JsonNode config = JSON.readTree(this.folder.resolve("hf").resolve("config.json").toFile());
			assertThat(config.path("architectures").get(0).asString()).isEqualTo("Dinov2Model");
			assertThat(config.path("image_size").asInt()).isEqualTo(size);
		}
	}

	@Test
	void timmNamesTheArchitectureBySizePatchAndRegisters() {
		assertThat(TimmCodec.architecture(vit(384, 14, 4, true, false, 518)))
			.isEqualTo("vit_small_patch14_reg4_dinov2");
		assertThat(TimmCodec.architecture(vit(1536, 14, 0, true, false, 518))).isEqualTo("vit_giant_patch14_dinov2");
		assertThat(TimmCodec.architecture(vit(768, 16, 0, false, false, 224))).isEqualTo("vit_base_patch16_224");
		assertThat(TimmCodec.architecture(vit(1024, 16, 0, true, false, 384))).isEqualTo("vit_large_patch16_384");
		assertThat(TimmCodec.architecture(vit(1024, 14, 0, false, true, 224))).isEqualTo("vit_large_patch14_clip_224");
	}

	@Test
	void timmsPretrainedConfigCarriesTheInputAndPixelStatistics() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).teacher();
			ViTConfig config = model.config();

			CheckpointExporter.export(model, CheckpointFormat.TIMM, this.folder.resolve("timm"), DType.F32, Map.of(),
					Normalization.IMAGENET);

			JsonNode json = JSON.readTree(this.folder.resolve("timm").resolve("config.json").toFile());
			assertThat(json.path("architecture").asString()).isEqualTo(TimmCodec.architecture(config))
				.startsWith("vit_tiny_patch14_");
			JsonNode pretrained = json.path("pretrained_cfg");
			assertThat(pretrained.path("input_size").toString())
				.isEqualTo("[3," + config.imageSize() + "," + config.imageSize() + "]");
			assertThat((float) pretrained.path("mean").get(0).asDouble()).isEqualTo(Normalization.IMAGENET.mean()[0]);
			assertThat((float) pretrained.path("std").get(2).asDouble()).isEqualTo(Normalization.IMAGENET.std()[2]);
			assertThat(pretrained.path("interpolation").asString()).isEqualTo("bicubic");
			assertThat(pretrained.path("crop_pct").asDouble()).isEqualTo(1.0);
		}
	}

	/**
	 * The hub layout stores the heads (which weights cannot tell) in
	 * {@code <name>.config.json}: given the folder rather than the file, the loader reads
	 * it too.
	 */
	@Test
	void aHubFormatFolderReloadsWithItsOwnConfig() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			VisionTransformer model = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).teacher();
			Path folder = this.folder.resolve("hub");
			CheckpointExporter.export(model, CheckpointFormat.DINOV2_HUB, folder.resolve("model.safetensors"),
					DType.F32, Map.of(), Normalization.IMAGENET);

			LoadedModel reloaded = CheckpointLoader.load(folder, manager);

			assertThat(folder.resolve("model.config.json")).isRegularFile();
			assertThat(reloaded.format()).isEqualTo(CheckpointFormat.DINOV2_HUB);
			assertThat(reloaded.model().config().numHeads()).isEqualTo(model.config().numHeads());
			assertThat(reloaded.model().config()).isEqualTo(model.config());
		}
	}

	private static ViTConfig vit(int width, int patch, int registers, boolean layerScale, boolean preNorm, int size) {
		return ViTConfig.builder()
			.setImageSize(size)
			.setPatchSize(patch)
			.setEmbedDim(width)
			.setDepth(2)
			.setNumHeads(width / 64)
			.setMlpHiddenDim(4 * width)
			.optLayerScale(layerScale)
			.optPreNorm(preNorm)
			.optRegisters(registers, RegisterPlacement.AFTER_CLASS_TOKEN)
			.build();
	}

}
