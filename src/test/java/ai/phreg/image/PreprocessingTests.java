package ai.phreg.image;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The whole pipeline against the reference: decode {@code chelsea.png}, resize and crop
 * as each reference input did, and compare with its {@code raw_uint8} and
 * {@code pixel_values}.
 */
class PreprocessingTests {

	static List<ReferenceInputs> inputs() {
		return ReferenceInputs.all();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("inputs")
	void resizeAndCropReproducesReferenceRawUint8(ReferenceInputs input) throws Exception {
		RgbImage source = ImageLoader.read(ReferenceInputs.sourceImage());
		try (SafetensorsReader reader = SafetensorsReader.open(ReferenceInputs.tensors())) {
			RgbImage expected = rawUint8(reader, input.name());

			RgbImage actual = input.preprocessing().resizeAndCrop(source);

			assertThat(actual.width()).isEqualTo(expected.width());
			assertThat(actual.height()).isEqualTo(expected.height());
			int maxDiff = 0;
			int differing = 0;
			for (int i = 0; i < expected.pixels().length; i++) {
				int diff = Math.abs((actual.pixels()[i] & 0xFF) - (expected.pixels()[i] & 0xFF));
				maxDiff = Math.max(maxDiff, diff);
				differing += (diff != 0) ? 1 : 0;
			}
			assertThat(maxDiff)
				.as("%s raw_uint8: max |diff| = %d, %d of %d values differ", input.name(), maxDiff, differing,
						expected.pixels().length)
				.isZero();
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("inputs")
	void wholePipelineReproducesReferencePixelValues(ReferenceInputs input) throws Exception {
		RgbImage source = ImageLoader.read(ReferenceInputs.sourceImage());
		try (SafetensorsReader reader = SafetensorsReader.open(ReferenceInputs.tensors())) {
			float[] expected = reader.readFloats(input.name() + ".pixel_values");

			assertThat(input.preprocessing().apply(source)).as("pixel_values of %s", input.name())
				.containsExactly(expected);
		}
	}

	@Test
	void pixelTensorIsApplyAsBatchOfOne() throws Exception {
		RgbImage source = ImageLoader.read(ReferenceInputs.sourceImage());
		// Non-square crop, so a height/width mix-up in the shape shows.
		Preprocessing preprocessing = new Preprocessing(98, 98, 140, Normalization.IMAGENET);
		try (NDManager manager = NDManager.newBaseManager()) {
			NDArray tensor = preprocessing.toPixelTensor(manager, source);

			assertThat(tensor.getShape()).isEqualTo(new Shape(1, 3, 98, 140));
			assertThat(tensor.getDataType()).isEqualTo(DataType.FLOAT32);
			assertThat(tensor.toFloatArray()).containsExactly(preprocessing.apply(source));
			// Spot-check the layout: element [0, c, y, x] is channel c of pixel (x, y).
			RgbImage cropped = preprocessing.resizeAndCrop(source);
			float expected = ((cropped.sample(139, 5, 2) / 255f) - Normalization.IMAGENET.mean()[2])
					/ Normalization.IMAGENET.std()[2];
			assertThat(tensor.getFloat(0, 2, 5, 139)).isEqualTo(expected);
		}
	}

	@Test
	void squareResizesAndCropsToTheSameSize() {
		Preprocessing square = Preprocessing.square(80, Normalization.CLIP);
		assertThat(square).isEqualTo(new Preprocessing(80, 80, 80, Normalization.CLIP));
		float[] values = square.apply(BicubicResizeTests.uniform(120, 90, new int[] { 10, 20, 30 }));
		assertThat(values).hasSize(3 * 80 * 80);
	}

	@Test
	void rejectsNonPositiveSizes() {
		assertThatIllegalArgumentException().isThrownBy(() -> new Preprocessing(0, 1, 1, Normalization.IMAGENET));
		assertThatIllegalArgumentException().isThrownBy(() -> Preprocessing.square(-3, Normalization.IMAGENET));
	}

	/** Reads a {@code <input>.raw_uint8} tensor {@code [H, W, 3]} as an image. */
	static RgbImage rawUint8(SafetensorsReader reader, String input) throws Exception {
		String name = input + ".raw_uint8";
		long[] shape = reader.info(name).shape();
		assertThat(shape).hasSize(3).endsWith(3);
		int[] values = reader.readInts(name);
		byte[] pixels = new byte[values.length];
		for (int i = 0; i < values.length; i++) {
			pixels[i] = (byte) values[i];
		}
		return new RgbImage((int) shape[1], (int) shape[0], pixels);
	}

}
