package ai.phreg.system;

import ai.phreg.image.ImageLimits;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How large a training or evaluation image may be, bound from {@code phreg.images.*}.
 * Larger images are skipped with the reason rather than decoded, so one oversized picture
 * can neither exhaust the memory nor fail a job.
 *
 * @param maxPixels the most pixels (width times height) an image may have
 * @param maxAspectRatio the most times an image's longer side may exceed its shorter one
 */
@ConfigurationProperties("phreg.images")
public record ImageProperties(@DefaultValue("40000000") long maxPixels, @DefaultValue("50") int maxAspectRatio) {

	public ImageProperties {
		try {
			new ImageLimits(maxPixels, maxAspectRatio);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("phreg.images: " + ex.getMessage());
		}
	}

	/** The limits images are decoded within. */
	public ImageLimits limits() {
		return new ImageLimits(this.maxPixels, this.maxAspectRatio);
	}

}
