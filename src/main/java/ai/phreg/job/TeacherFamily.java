package ai.phreg.job;

import ai.phreg.checkpoint.CheckpointFormat;

/**
 * The teacher's family and checkpoint layout, for people: the job view, the report and
 * the page show it once the job is prepared.
 *
 * @param format the detected checkpoint layout, as the API spells it
 * @param family the model family ("DINOv3", "SigLIP", "EVA-02")
 * @param description the family with its layout ("DINOv3, Hugging Face transformers key
 * names")
 */
public record TeacherFamily(CheckpointFormat format, String family, String description) {

	public static TeacherFamily of(CheckpointFormat format) {
		return new TeacherFamily(format, format.family(), format.description());
	}

}
