package ai.phreg.distill.registers;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.demo.DemoModels;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.image.Normalization;
import ai.phreg.image.Preprocessing;
import ai.phreg.image.RgbImage;
import ai.phreg.imagesource.ImageFolder;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.imagesource.SkippedImage;
import ai.phreg.model.TokenwiseModel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The register neuron search: its scores against a hand-computed case, and on the demo
 * teacher, whose artifact neurons are known.
 */
class RegisterNeuronsTests {

	private static final Preprocessing RAW = Preprocessing.square(2,
			Normalization.of(new double[] { 0, 0, 0 }, new double[] { 1, 1, 1 }));

	/**
	 * On {@link TokenwiseModel}, a red token (1, 0) leaves the block with norm |(16,
	 * 22.5)| = 27.6 and a green one (0, 1) with |(0, 26)| = 26; the class token is red.
	 * Neurons read (10, 10, 0) on red tokens and (0, 10, 5) on green ones.
	 */
	@Test
	void scoresAreMeanAbsoluteActivationsAtTheOutliersAveragedOverImages() throws IOException {
		// red-green-green-red, then all green
		ImageSource images = new Images(new boolean[] { true, false, false, true },
				new boolean[] { false, false, false, false });
		try (NDManager manager = NDManager.newBaseManager()) {
			RegisterNeurons.Found everyToken = RegisterNeurons.find(TokenwiseModel.create(manager), RAW, images,
					new RegisterNeuronSearch(-1, 25.0, 2, 0, 500, null), manager, () -> false);
			RegisterNeurons.Found redOnly = RegisterNeurons.find(TokenwiseModel.create(manager), RAW, images,
					new RegisterNeuronSearch(0, 27.0, 3, 0, 500, null), manager, () -> false);
			RegisterNeurons.Found none = RegisterNeurons.find(TokenwiseModel.create(manager), RAW, images,
					new RegisterNeuronSearch(-1, 30.0, 3, 0, 500, null), manager, () -> false);

			// At 25 every token is an outlier: image 1 has 3 red and 2 green tokens,
			// (6, 10, 2); image 2 the red class token and 4 green, (2, 10, 4); mean
			// (4, 10, 3), top 2
			assertThat(everyToken.neurons()).hasSize(2);
			assertNeuron(everyToken.neurons().get(0), 0, 1, 10);
			assertNeuron(everyToken.neurons().get(1), 0, 0, 4);
			assertThat(everyToken.imagesWithOutliers()).isEqualTo(2);
			assertThat(everyToken.perLayer()).containsExactly(java.util.Map.entry(0, 2));
			// At 27 only red tokens are: (10, 10, 0) in both images
			assertNeuron(redOnly.neurons().get(2), 0, 2, 0);
			assertThat(redOnly.neurons().get(0).score()).isCloseTo(10, within(1e-3));
			// Above every norm nothing is marked and nothing found
			assertThat(none.neurons()).isEmpty();
			assertThat(none.imagesWithOutliers()).isZero();
			assertThat(none.imagesScanned()).isEqualTo(2);
		}
	}

	@Test
	void onTheDemoTeacherTheFoundNeuronsIncludeThePlantedOnes() throws IOException {
		try (NDManager manager = NDManager.newBaseManager()) {
			DemoModels models = DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager);
			RegisterNeuronSearch search = RegisterNeuronSearch.defaults(CheckpointFormat.DINOV2_HUB,
					DemoTeacher.config());

			RegisterNeurons.Found found = RegisterNeurons.find(models.teacher(),
					Preprocessing.square(224, Normalization.IMAGENET), ImageFolder.scan(Fixtures.photos()), search,
					manager, () -> false);

			// No threshold given: the valley of the norms
			assertThat(search.normThreshold()).isNull();
			assertThat(found.threshold()).isNotNull();
			Set<String> foundPairs = found.neurons()
				.stream()
				.map((neuron) -> neuron.layer() + "/" + neuron.neuron())
				.collect(Collectors.toSet());
			int block = models.planting().block();
			for (int neuron : models.planting().neurons()) {
				assertThat(foundPairs).contains(block + "/" + neuron);
			}
			// and they lead, well ahead of the rest
			int planted = models.planting().neurons().length;
			List<RegisterNeuron> top = found.neurons().subList(0, planted);
			assertThat(top).allSatisfy((neuron) -> assertThat(neuron.layer()).isEqualTo(block));
			assertThat(found.neurons().get(planted - 1).score())
				.isGreaterThan(1.5 * found.neurons().get(planted).score());
			assertThat(found.neurons()).hasSize(search.topK());
			System.out.println("Register neurons of the demo teacher: " + found.neurons().subList(0, 6) + ", threshold "
					+ found.threshold() + ", " + found.imagesWithOutliers() + " of " + found.imagesScanned()
					+ " images with outliers");
		}
	}

	private static void assertNeuron(RegisterNeuron neuron, int layer, int unit, double score) {
		assertThat(neuron.layer()).isEqualTo(layer);
		assertThat(neuron.neuron()).isEqualTo(unit);
		assertThat(neuron.score()).isCloseTo(score, within(1e-3));
	}

	/** 2×2 images of red or green pixels, row-major. */
	private record Images(boolean[]... red) implements ImageSource {

		@Override
		public int size() {
			return this.red.length;
		}

		@Override
		public String name(int index) {
			return "image-" + index;
		}

		@Override
		public RgbImage read(int index) {
			byte[] pixels = new byte[12];
			for (int p = 0; p < 4; p++) {
				pixels[p * 3 + (this.red[index][p] ? 0 : 1)] = (byte) 255;
			}
			return new RgbImage(2, 2, pixels);
		}

		@Override
		public List<SkippedImage> skipped() {
			return List.of();
		}

	}

}
