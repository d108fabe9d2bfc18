package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ai.phreg.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Reads every safetensors file of the shared fixture set, which Python wrote, and checks
 * the reader sees exactly the tensors the manifest lists.
 */
class SafetensorsFixturesTests {

	static Stream<String> safetensorsFiles() throws IOException {
		return manifestFiles().properties()
			.stream()
			.map(Map.Entry::getKey)
			.filter((path) -> path.endsWith(".safetensors"))
			.sorted();
	}

	@ParameterizedTest
	@MethodSource("safetensorsFiles")
	void headerMatchesManifest(String relativePath) throws IOException {
		JsonNode listing = manifestFiles().get(relativePath);
		Path file = Fixtures.resolve(relativePath);
		assertThat(Files.size(file)).isEqualTo(listing.get("bytes").longValue());
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			assertThat(reader.metadata()).containsEntry("format", "pt");
			JsonNode expected = listing.get("tensors");
			assertThat(reader.names())
				.containsExactlyElementsOf(expected.properties().stream().map(Map.Entry::getKey).sorted().toList());
			for (TensorInfo info : reader.tensors()) {
				JsonNode tensor = expected.get(info.name());
				assertThat(info.dtype()).as(info.name()).isEqualTo(DType.fromTorchName(tensor.get("dtype").asString()));
				List<Long> shape = tensor.get("shape").valueStream().map(JsonNode::longValue).toList();
				assertThat(info.shape()).as(info.name())
					.containsExactly(shape.stream().mapToLong(Long::longValue).toArray());
			}
		}
	}

	@ParameterizedTest
	@MethodSource("safetensorsFiles")
	void everyTensorDecodesToItsElementCount(String relativePath) throws IOException {
		try (SafetensorsReader reader = SafetensorsReader.open(Fixtures.resolve(relativePath))) {
			for (TensorInfo info : reader.tensors()) {
				int length = info.dtype().isFloatingPoint() ? reader.readFloats(info.name()).length
						: reader.readInts(info.name()).length;
				assertThat((long) length).as(info.name()).isEqualTo(info.elementCount());
			}
		}
	}

	/**
	 * Python derived {@code pixel_values} from {@code raw_uint8} as (u / 255 - mean) /
	 * std in float32, so decoding both (HWC u8, NCHW f32) must reproduce that relation; a
	 * wrong element order, offset or unsigned conversion would not.
	 */
	@ParameterizedTest
	@MethodSource("preprocessingNames")
	void pixelValuesFollowFromRawBytes(String input) throws IOException {
		JsonNode preprocessing = manifest().get("preprocessing").get(input);
		try (SafetensorsReader reader = SafetensorsReader.open(Fixtures.resolve("image/inputs.safetensors"))) {
			long[] hwc = reader.info(input + ".raw_uint8").shape();
			int height = (int) hwc[0];
			int width = (int) hwc[1];
			int[] raw = reader.readInts(input + ".raw_uint8");
			float[] pixels = reader.readFloats(input + ".pixel_values");
			assertThat(reader.info(input + ".pixel_values").shape()).containsExactly(1, 3, height, width);
			// Bytes above 127 prove U8 is read unsigned.
			assertThat(Arrays.stream(raw).max().getAsInt()).isGreaterThan(127);
			for (int c = 0; c < 3; c++) {
				float mean = preprocessing.get("mean").get(c).floatValue();
				float std = preprocessing.get("std").get(c).floatValue();
				for (int y = 0; y < height; y++) {
					for (int x = 0; x < width; x++) {
						float expected = (raw[(y * width + x) * 3 + c] / 255f - mean) / std;
						assertThat(pixels[(c * height + y) * width + x]).isCloseTo(expected, within(1e-6f));
					}
				}
			}
		}
	}

	static Stream<String> preprocessingNames() throws IOException {
		return manifest().get("preprocessing").properties().stream().map(Map.Entry::getKey);
	}

	private static JsonNode manifest() throws IOException {
		return JsonMapper.shared().readTree(Fixtures.resolve("manifest.json").toFile());
	}

	private static JsonNode manifestFiles() throws IOException {
		return manifest().get("files");
	}

}
