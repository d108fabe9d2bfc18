package ai.phreg.system;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.sun.management.OperatingSystemMXBean;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

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
 * @param maxRequestBody the largest request body accepted; larger ones get 413
 * @param memoryLimit the memory a job's training step may need at most, judged from its
 * estimate before it runs; by default 80% of the machine's physical memory
 */
@ConfigurationProperties("phreg")
public record PhregProperties(String apiKey, @DefaultValue("phreg-data") Path storageRoot,
		@DefaultValue List<Path> allowedRoots, @DefaultValue("1") int deviceSlots,
		@DefaultValue("50") int checkpointEvery, @DefaultValue("1MB") DataSize maxRequestBody, DataSize memoryLimit) {

	/** The largest {@link #checkpointEvery} a job may ask for. */
	public static final int MAX_CHECKPOINT_EVERY = 100_000;

	/**
	 * Keys shorter than this are refused: a shared secret anyone may guess in a few tries
	 * is none.
	 */
	public static final int MIN_API_KEY_LENGTH = 16;

	/**
	 * The example and placeholder keys of the documentation and deployment files, and the
	 * usual guesses; refused so that an example deployment never runs with a public key.
	 */
	private static final Set<String> PLACEHOLDER_KEYS = Set.of("change-me", "changeme", "secret", "password",
			"local-dev-key", "replace-me", "your-api-key");

	public PhregProperties {
		apiKey = (apiKey == null || apiKey.isBlank()) ? null : apiKey;
		if (apiKey != null) {
			requireUsable(apiKey);
		}
		if (maxRequestBody.toBytes() < 1) {
			throw new IllegalArgumentException("phreg.max-request-body must be positive, got " + maxRequestBody);
		}
		memoryLimit = (memoryLimit != null) ? memoryLimit : DataSize.ofBytes(physicalMemory() / 5 * 4);
		allowedRoots = List.copyOf(allowedRoots);
		if (deviceSlots < 1) {
			throw new IllegalArgumentException("phreg.device-slots must be at least 1, got " + deviceSlots);
		}
		if (checkpointEvery < 1 || checkpointEvery > MAX_CHECKPOINT_EVERY) {
			throw new IllegalArgumentException(
					"phreg.checkpoint-every must be in 1.." + MAX_CHECKPOINT_EVERY + ", got " + checkpointEvery);
		}
	}

	private static void requireUsable(String apiKey) {
		String advice = " Generate a key, for example with `openssl rand -hex 32`, and set it in PHREG_API_KEY (the "
				+ "phreg.api-key property, or the api-key of the Kubernetes Secret phreg-secrets).";
		if (PLACEHOLDER_KEYS.contains(apiKey.strip().toLowerCase(Locale.ROOT))) {
			throw new IllegalArgumentException(
					"phreg.api-key is a placeholder from the examples, which anyone can read." + advice);
		}
		if (apiKey.length() < MIN_API_KEY_LENGTH) {
			throw new IllegalArgumentException("phreg.api-key is shorter than " + MIN_API_KEY_LENGTH
					+ " characters, which is too easy to guess." + advice);
		}
	}

	/**
	 * The machine's physical memory, as the JVM sees it (a container's limit inside one).
	 */
	private static long physicalMemory() {
		return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
	}

	// Keeps the key out of logs.
	@Override
	public String toString() {
		return "PhregProperties[apiKey=" + ((this.apiKey != null) ? "******" : "none") + ", storageRoot="
				+ this.storageRoot + ", allowedRoots=" + this.allowedRoots + ", deviceSlots=" + this.deviceSlots
				+ ", checkpointEvery=" + this.checkpointEvery + ", maxRequestBody=" + this.maxRequestBody
				+ ", memoryLimit=" + this.memoryLimit + "]";
	}

}
