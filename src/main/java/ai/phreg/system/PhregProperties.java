package ai.phreg.system;

import java.nio.file.Path;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the phreg service, bound from {@code phreg.*} (environment variables such
 * as {@code PHREG_API_KEY} and {@code PHREG_ALLOWED_ROOTS} work too).
 *
 * @param apiKey the value clients send in the {@code X-API-Key} header to submit, stop
 * and restart jobs; blank means none, and then the API accepts such requests only when
 * the server listens on a loopback address ({@code server.address=127.0.0.1}). Reading
 * (every {@code GET}) never needs the key.
 * @param storageRoot the folder that holds every job's working files, checkpoints and
 * artifacts; relative to the working directory unless absolute
 * @param allowedRoots the folders whose files users may name as a teacher checkpoint or
 * an image source; empty allows only the built-in {@code demo} inputs
 * @param deviceSlots how many jobs may train at the same time
 * @param checkpointEvery optimizer steps between checkpoints when a job does not say
 */
@ConfigurationProperties("phreg")
public record PhregProperties(String apiKey, @DefaultValue("phreg-data") Path storageRoot,
		@DefaultValue List<Path> allowedRoots, @DefaultValue("1") int deviceSlots,
		@DefaultValue("50") int checkpointEvery) {

	/** The largest {@link #checkpointEvery} a job may ask for. */
	public static final int MAX_CHECKPOINT_EVERY = 100_000;

	public PhregProperties {
		apiKey = (apiKey == null || apiKey.isBlank()) ? null : apiKey;
		allowedRoots = List.copyOf(allowedRoots);
		if (deviceSlots < 1) {
			throw new IllegalArgumentException("phreg.device-slots must be at least 1, got " + deviceSlots);
		}
		if (checkpointEvery < 1 || checkpointEvery > MAX_CHECKPOINT_EVERY) {
			throw new IllegalArgumentException(
					"phreg.checkpoint-every must be in 1.." + MAX_CHECKPOINT_EVERY + ", got " + checkpointEvery);
		}
	}

	// Keeps the key out of logs.
	@Override
	public String toString() {
		return "PhregProperties[apiKey=" + ((this.apiKey != null) ? "******" : "none") + ", storageRoot="
				+ this.storageRoot + ", allowedRoots=" + this.allowedRoots + ", deviceSlots=" + this.deviceSlots
				+ ", checkpointEvery=" + this.checkpointEvery + "]";
	}

}
