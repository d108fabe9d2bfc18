package ai.phreg.api;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.demo.DemoTeacher;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.PaperDefaults;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.system.PhregProperties;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The values a job takes when it does not say, for forms that show them: the paper's, the
 * service's and each checkpoint family's.
 */
@ServiceOnly
@RestController
@Tag(name = "Jobs", description = "Distillation jobs")
class JobDefaultsController {

	private final PhregProperties properties;

	JobDefaultsController(PhregProperties properties) {
		this.properties = properties;
	}

	@GetMapping(JobController.JOBS + "/defaults")
	@Operation(summary = "The settings a job takes when it does not give them, per teacher family")
	JobDefaults defaults() {
		Map<CheckpointFormat, FamilyDefaults> families = new EnumMap<>(CheckpointFormat.class);
		for (FamilyProfile family : FamilyProfile.values()) {
			families.put(family.format(), new FamilyDefaults(family.learningRate(), family.endLearningRate(),
					family.format(), family.exportFormats()));
		}
		// The demo teacher is a hub DINOv2 (as DemoTeacherSource describes it).
		RegisterNeuronSearch demo = RegisterNeuronSearch.defaults(CheckpointFormat.DINOV2_HUB, DemoTeacher.config());
		return new JobDefaults(PaperDefaults.REGISTERS, PaperDefaults.VIEWS, PaperDefaults.SHIFT_FRACTION,
				PaperDefaults.BATCH_SIZE, PaperDefaults.WEIGHT_DECAY, this.properties.checkpointEvery(),
				PaperDefaults.HELD_OUT_IMAGES, families,
				new NeuronSearchDefaults(demo.outlierLayer(), demo.normThreshold(), demo.topK(), demo.highestLayer(),
						demo.images(), TestTimeRegisters.DEFAULT_TOKENS));
	}

	/**
	 * The defaults of every job.
	 *
	 * @param registers register tokens added
	 * @param views test-time views per image
	 * @param shiftFraction the largest shift as a fraction of the patch grid
	 * @param batchSize images per step
	 * @param weightDecay AdamW's weight decay
	 * @param checkpointEvery steps between checkpoints on this service
	 * @param evaluationImages the most images held out (never more than a quarter)
	 * @param families what depends on the teacher's family
	 * @param registerNeuronSearch an analyze job's register neuron search with the demo
	 * teacher; a checkpoint's depend on its family, depth and width
	 * ({@link RegisterNeuronSearch#defaults}) and are known once it is loaded
	 */
	record JobDefaults(int registers, int views, double shiftFraction, int batchSize, double weightDecay,
			int checkpointEvery, int evaluationImages, Map<CheckpointFormat, FamilyDefaults> families,
			NeuronSearchDefaults registerNeuronSearch) {
	}

	/**
	 * The register neuron search of an analyze job, under the names its request gives
	 * them.
	 *
	 * @param outlierLayer the block whose output norms mark the outliers, negative from
	 * the end
	 * @param normThreshold the outliers' norm threshold, null for the norm histogram's
	 * valley
	 * @param topNeurons the neurons kept
	 * @param highestLayer the last block searched
	 * @param neuronImages the images scanned at most
	 * @param testTimeRegisterTokens the extra tokens the neurons' activity moves to
	 */
	record NeuronSearchDefaults(int outlierLayer, Double normThreshold, int topNeurons, int highestLayer,
			int neuronImages, int testTimeRegisterTokens) {
	}

	/**
	 * The defaults of one teacher family.
	 *
	 * @param learningRate the paper's initial learning rate
	 * @param endLearningRate the paper's final learning rate
	 * @param exportFormat the format exported when a job does not say
	 * @param exportFormats every format a student of the family can be exported as
	 */
	record FamilyDefaults(double learningRate, double endLearningRate, CheckpointFormat exportFormat,
			Set<CheckpointFormat> exportFormats) {
	}

}
