package ai.phreg.metrics;

import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * One captioned picture of a side-by-side composition.
 *
 * @param caption a short label drawn above the picture, for example "teacher"
 * @param image the picture
 */
public record Panel(String caption, BufferedImage image) {

	public Panel {
		Objects.requireNonNull(caption, "caption");
		Objects.requireNonNull(image, "image");
	}

}
