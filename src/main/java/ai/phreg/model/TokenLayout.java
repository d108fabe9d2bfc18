package ai.phreg.model;

/**
 * Where the patch tokens and the tokens appended for one forward pass sit in the sequence
 * the blocks see.
 *
 * @param firstPatch the index of the first patch token
 * @param patches the number of patch tokens, row-major over the grid
 * @param firstAppended the index of the first appended token
 * @param appended the number of appended tokens (0 for none)
 */
public record TokenLayout(int firstPatch, int patches, int firstAppended, int appended) {

	/** The range {@code from:to} of the patch tokens, for a token-axis slice. */
	public String patchRange() {
		return this.firstPatch + ":" + (this.firstPatch + this.patches);
	}

}
