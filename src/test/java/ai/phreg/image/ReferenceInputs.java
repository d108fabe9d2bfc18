package ai.phreg.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.phreg.Fixtures;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The reference inputs of {@code image/inputs.safetensors}, read from the manifest's
 * {@code preprocessing} section so tests follow the fixture set instead of hard-coding
 * it.
 */
record ReferenceInputs(String name, Preprocessing preprocessing) {

	static Path tensors() {
		return Fixtures.resolve("image/inputs.safetensors");
	}

	static Path sourceImage() {
		JsonNode manifest = manifest();
		return Fixtures.resolve("image/" + manifest.get("image").get("file").asString());
	}

	static List<ReferenceInputs> all() {
		List<ReferenceInputs> inputs = new ArrayList<>();
		for (Map.Entry<String, JsonNode> entry : manifest().get("preprocessing").properties()) {
			JsonNode spec = entry.getValue();
			Normalization normalization = Normalization.of(doubles(spec.get("mean")), doubles(spec.get("std")));
			JsonNode crop = spec.get("center_crop_hw");
			inputs.add(new ReferenceInputs(entry.getKey(), new Preprocessing(spec.get("resize_shorter_side_to").asInt(),
					crop.get(0).asInt(), crop.get(1).asInt(), normalization)));
		}
		return inputs;
	}

	private static JsonNode manifest() {
		return JsonMapper.builder().build().readTree(Fixtures.resolve("manifest.json"));
	}

	private static double[] doubles(JsonNode array) {
		double[] values = new double[array.size()];
		for (int i = 0; i < values.length; i++) {
			values[i] = array.get(i).asDouble();
		}
		return values;
	}

	@Override
	public String toString() {
		return this.name;
	}

}
