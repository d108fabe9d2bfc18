package ai.phreg.distill.cache;

import java.util.Locale;

/**
 * Everything a denoised target depends on. Two targets with equal keys are equal; a
 * change to any part (another teacher, image, resolution, crop, plan, shift or seed)
 * gives another key and so a miss, never a stale target.
 *
 * @param teacher the teacher's weights digest and dense head
 * @param image the resized image's pixel digest
 * @param resolution the crop side R
 * @param top the crop's top row
 * @param left the crop's left column
 * @param plan the test-time views, as {@code dy,dx,flip;...}
 * @param shiftFraction the shift bound the plan was drawn with
 * @param seed the run's seed
 */
public record TargetKey(String teacher, String image, int resolution, int top, int left, String plan,
		double shiftFraction, long seed) {

	/** The key in full, as stored in each shard and compared on every read. */
	public String text() {
		return String.format(Locale.ROOT, "teacher=%s;image=%s;resolution=%d;crop=%d,%d;shift=%s;seed=%d;plan=%s",
				this.teacher, this.image, this.resolution, this.top, this.left, this.shiftFraction, this.seed,
				this.plan);
	}

	/** A file name derived from the whole key. */
	String fileName() {
		return Digests.ofText(text()) + ".safetensors";
	}

}
