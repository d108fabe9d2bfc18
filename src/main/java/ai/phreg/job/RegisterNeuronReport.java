package ai.phreg.job;

import java.util.List;

import ai.phreg.distill.registers.RegisterNeuron;

/**
 * The register neurons a job found, as {@code neurons.json} holds them: an analyze job's
 * first result, and what a distillation with test-time registers moved.
 *
 * @param search how they were searched
 * @param neurons the neurons, highest score first
 */
public record RegisterNeuronReport(Analysis.NeuronSearch search, List<RegisterNeuron> neurons) {
}
