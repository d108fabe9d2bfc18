package ai.phreg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One checkpoint of the fixture set with the inputs its reference runs used, discovered
 * from {@code manifest.json}: the files and folders named {@code <model>.*} beside the
 * model's outputs, other than the outputs and configs. Tests that need every teacher
 * iterate these rather than names written into code.
 *
 * @param root the fixture set
 * @param model the manifest's model name
 * @param location the checkpoint file or folder
 * @param inputs the names in {@code image/inputs.safetensors} the model's runs used
 */
public record FixtureCheckpoint(Path root, String model, Path location, List<String> inputs) {

	/** The checkpoints of the first fixture set. */
	public static List<FixtureCheckpoint> all() throws IOException {
		return of(Fixtures.root());
	}

	/** The checkpoints of every configured fixture set. */
	public static List<FixtureCheckpoint> allSets() throws IOException {
		List<FixtureCheckpoint> checkpoints = new ArrayList<>();
		for (Path root : Fixtures.roots()) {
			checkpoints.addAll(of(root));
		}
		return checkpoints;
	}

	private static List<FixtureCheckpoint> of(Path root) throws IOException {
		JsonNode manifest = JsonMapper.builder().build().readTree(root.resolve("manifest.json").toFile());
		List<FixtureCheckpoint> checkpoints = new ArrayList<>();
		for (Map.Entry<String, JsonNode> model : manifest.path("runs").properties()) {
			Path outputs = root.resolve(model.getValue().path("outputs").asString());
			List<String> inputs = new ArrayList<>();
			model.getValue().path("runs").forEach((run) -> inputs.add(run.path("input").asString()));
			try (Stream<Path> siblings = Files.list(outputs.getParent())) {
				siblings.filter((path) -> path.getFileName().toString().startsWith(model.getKey() + "."))
					.filter((path) -> !path.equals(outputs) && !path.getFileName().toString().endsWith(".config.json"))
					.sorted()
					.forEach((path) -> checkpoints
						.add(new FixtureCheckpoint(root, model.getKey(), path, inputs.stream().distinct().toList())));
			}
		}
		return checkpoints;
	}

	/** The file or folder name, unique within the fixture set. */
	public String name() {
		return this.location.getFileName().toString();
	}

	/** The fixture set and the file or folder name, unique across sets. */
	public String qualifiedName() {
		return this.root.getFileName() + "/" + name();
	}

	/** The safetensors file holding the weights. */
	public Path weights() {
		return Files.isDirectory(this.location) ? this.location.resolve("model.safetensors") : this.location;
	}

	/** The pixels {@code (1, 3, H, W)} of an input of the first fixture set. */
	public static NDArray pixels(NDManager manager, String input) throws IOException {
		return pixels(manager, Fixtures.root(), input);
	}

	/** The pixels {@code (1, 3, H, W)} of an input of this checkpoint's fixture set. */
	public NDArray inputPixels(NDManager manager, String input) throws IOException {
		return pixels(manager, this.root, input);
	}

	private static NDArray pixels(NDManager manager, Path root, String input) throws IOException {
		try (SafetensorsReader reader = SafetensorsReader.open(root.resolve("image/inputs.safetensors"))) {
			String name = input + ".pixel_values";
			return manager.create(reader.readFloats(name), new Shape(reader.info(name).shape()));
		}
	}

	@Override
	public String toString() {
		return name();
	}

}
