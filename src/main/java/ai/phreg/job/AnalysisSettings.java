package ai.phreg.job;

import ai.phreg.distill.registers.RegisterNeuronSearch;

/**
 * What an analyze job does, everything the spec left open decided.
 *
 * @param resolution the square center crop in pixels
 * @param views the test-time views per image of the denoised sources
 * @param shiftFraction their largest shift as a fraction of the patch grid
 * @param seed the seed of the views drawn
 * @param search how the register neurons are found, the images it scans at most the
 * source's
 * @param testTimeRegisterTokens the extra tokens of the test-time registers
 */
public record AnalysisSettings(int resolution, int views, double shiftFraction, long seed, RegisterNeuronSearch search,
		int testTimeRegisterTokens) {
}
