package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.FixtureCheckpoint;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.distill.StudentFactory;
import ai.phreg.model.ViTOutput;
import ai.phreg.model.VisionTransformer;

/**
 * A student with four registers of a fixture teacher, exported in one format and run by
 * phreg on random pixels at its native size: what the export reference tests run the
 * upstream forward on and compare with.
 *
 * @param location the exported file or folder
 * @param size the input's side in pixels
 * @param pixels the input {@code (1, 3, size, size)}
 * @param tokens phreg's output tokens
 * @param pooled phreg's pooled vector, null for a model without one
 */
record ExportedStudent(Path location, int size, float[] pixels, float[] tokens, float[] pooled) {

	/** The fixture checkpoints of every set that load as {@code format}. */
	static List<FixtureCheckpoint> fixtures(CheckpointFormat format) throws IOException {
		List<FixtureCheckpoint> found = new ArrayList<>();
		for (FixtureCheckpoint candidate : FixtureCheckpoint.allSets()) {
			try (StateDict dict = StateDict.open(candidate.location())) {
				if (CheckpointLoader.convert(dict).format() == format) {
					found.add(candidate);
				}
			}
		}
		return found;
	}

	static ExportedStudent of(FixtureCheckpoint fixture, CheckpointFormat format, Path location) throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader.load(fixture.location(), manager);
			VisionTransformer student = StudentFactory.create(teacher, 4, 11, manager);
			CheckpointExporter.export(student, teacher.carried(), format, location, DType.F32, Map.of(),
					teacher.normalization());
			int size = student.config().imageSize();
			float[] pixels = new float[3 * size * size];
			Random random = new Random(5);
			for (int i = 0; i < pixels.length; i++) {
				pixels[i] = (float) random.nextGaussian();
			}
			try (NDManager step = manager.newSubManager()) {
				NDArray input = step.create(pixels, new Shape(1, 3, size, size));
				ViTOutput output = student.forward(new ParameterStore(step, false), input, false, false);
				return new ExportedStudent(location, size, pixels, output.tokens().toFloatArray(),
						(output.pooled() != null) ? output.pooled().toFloatArray() : null);
			}
		}
	}

}
