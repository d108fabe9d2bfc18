package ai.phreg.job;

import java.util.Objects;

import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.model.ViTConfig;

/**
 * How a job looks for the teacher's register neurons and how many test-time registers it
 * appends; absent values (null) take the family's defaults
 * ({@link RegisterNeuronSearch#defaults}).
 *
 * @param outlierLayer the block whose output norms mark the outlier tokens, negative from
 * the end
 * @param normThreshold the norm above which a token is an outlier; null for the valley of
 * the norm histogram unless the family has a published one
 * @param topNeurons the neurons kept, highest scores first
 * @param highestLayer the last block whose neurons are considered
 * @param neuronImages the images scanned at most
 * @param testTimeRegisterTokens the extra tokens the register neurons' activity moves to
 */
public record NeuronSearchOptions(Integer outlierLayer, Double normThreshold, Integer topNeurons, Integer highestLayer,
		Integer neuronImages, Integer testTimeRegisterTokens) {

	/** Every value the family's default. */
	public static final NeuronSearchOptions DEFAULTS = new NeuronSearchOptions(null, null, null, null, null, null);

	/** The search for a teacher: its family's defaults with the values given. */
	public RegisterNeuronSearch search(CheckpointFormat family, ViTConfig config) {
		RegisterNeuronSearch defaults = RegisterNeuronSearch.defaults(family, config);
		return new RegisterNeuronSearch(Objects.requireNonNullElse(this.outlierLayer, defaults.outlierLayer()),
				(this.normThreshold != null) ? this.normThreshold : defaults.normThreshold(),
				Objects.requireNonNullElse(this.topNeurons, defaults.topK()),
				Objects.requireNonNullElse(this.highestLayer, defaults.highestLayer()),
				Objects.requireNonNullElse(this.neuronImages, defaults.images()), defaults.sparsity());
	}

	/** The extra tokens test-time registers append. */
	public int tokens() {
		return Objects.requireNonNullElse(this.testTimeRegisterTokens, TestTimeRegisters.DEFAULT_TOKENS);
	}

}
