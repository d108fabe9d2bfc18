package ai.phreg.job;

import java.util.List;

import ai.phreg.distill.registers.RegisterNeuron;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.RegisterNeurons;

/**
 * The register neurons a job found, as {@code neurons.json} holds them: an analyze job's
 * first result, and what a distillation with test-time registers moved.
 *
 * @param search how they were searched
 * @param neurons the neurons, highest score first
 */
public record RegisterNeuronReport(Analysis.NeuronSearch search, List<RegisterNeuron> neurons) {

	/** The neurons as the search found them, for a run to use without searching again. */
	RegisterNeurons.Found found() {
		return new RegisterNeurons.Found(this.neurons, this.search.normThreshold(), this.search.imagesScanned(),
				this.search.imagesWithOutliers());
	}

	/**
	 * What {@code search} found in a teacher of {@code depth} blocks, its blocks counted
	 * from 0.
	 */
	static RegisterNeuronReport of(RegisterNeuronSearch search, RegisterNeurons.Found found, int depth) {
		int outlierLayer = (search.outlierLayer() < 0) ? depth + search.outlierLayer() : search.outlierLayer();
		return new RegisterNeuronReport(
				new Analysis.NeuronSearch(outlierLayer, found.threshold(),
						(search.normThreshold() != null) ? "given" : "valley", search.topK(),
						Math.min(search.highestLayer(), depth - 1), found.imagesScanned(), found.imagesWithOutliers()),
				found.neurons());
	}

}
