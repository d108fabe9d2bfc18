package ai.phreg.distill;

/**
 * An item of an image source that training or evaluation went without, and why, in words
 * a user can act on.
 *
 * @param name the item's name within its source, as {@link ImageSource#name(int)} gives
 * it
 * @param reason why it was skipped, such as "unsupported format GIF; use JPEG or PNG"
 */
public record SkippedImage(String name, String reason) {
}
