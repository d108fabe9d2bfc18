package ai.phreg.system;

import java.nio.file.Path;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The service's own settings ({@code phreg.*}).
 *
 * @param apiKey the key mutating API calls must present in {@code X-API-Key}; when unset,
 * mutations are allowed only on a loopback-bound server
 * @param storageRoot where job folders, bundled samples and the embedded database live
 * @param allowedRoots folders teacher checkpoints and image sources may come from
 * @param deviceSlots jobs that may run at once on one device
 * @param checkpointEvery default optimizer steps between checkpoints
 */
@ConfigurationProperties("phreg")
public record PhregProperties(String apiKey, @DefaultValue("data") Path storageRoot, List<Path> allowedRoots,
		@DefaultValue("1") int deviceSlots, @DefaultValue("50") int checkpointEvery) {

	public PhregProperties {
		allowedRoots = (allowedRoots != null) ? List.copyOf(allowedRoots) : List.of();
		if (deviceSlots < 1) {
			throw new IllegalArgumentException("phreg.device-slots must be at least 1, got " + deviceSlots);
		}
	}

	public boolean hasApiKey() {
		return this.apiKey != null && !this.apiKey.isBlank();
	}

}
