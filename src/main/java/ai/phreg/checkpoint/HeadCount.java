package ai.phreg.checkpoint;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The number of attention heads, the one architectural fact that neither the shapes of
 * the weights nor, in many checkpoints, a config tells.
 */
final class HeadCount {

	private HeadCount() {
	}

	/**
	 * The number of attention heads, which the weights cannot tell: the config's
	 * {@code declared} value (read from {@code key}), else the caller's. Never guessed: a
	 * wrong head count loads without error and computes another model.
	 */
	static int resolve(Optional<Integer> declared, String key, int width, SidecarConfig sidecar, LoadOptions options,
			Path location) throws InvalidCheckpointException {
		Integer requested = options.heads();
		if (declared.isPresent()) {
			int heads = declared.get();
			if (heads < 1 || width % heads != 0) {
				throw new InvalidCheckpointException("Config " + sidecar + ": '" + key + "' gives " + heads
						+ " heads, which do not split the width " + width + " of the weights evenly");
			}
			if (requested != null && requested != heads) {
				throw new InvalidCheckpointException("Config " + sidecar + ": '" + key + "' gives " + heads
						+ " heads but " + requested + " were asked for; leave heads out or fix the config");
			}
			return heads;
		}
		if (requested == null) {
			String config = sidecar.file()
				.map((file) -> "its config " + file + " has no '" + key + "'")
				.orElse("it has no config file beside it");
			throw new InvalidCheckpointException("The number of attention heads of " + location + " is unknown: "
					+ config + ", and the weights cannot tell it. Give heads (for example " + Math.max(1, width / 64)
					+ " for 64-wide heads, as DINOv2, CLIP and DeiT models of width " + width + " have).");
		}
		if (width % requested != 0) {
			throw new InvalidCheckpointException(requested + " heads do not split the width " + width + " of "
					+ location + " evenly; give a divisor of " + width);
		}
		return requested;
	}

}
