package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import tools.jackson.databind.JsonNode;

/**
 * The {@code README.md} of an exported Hugging Face folder, as the hub shows it: what the
 * model is, how to load it, the settings it was distilled with and, when the job held
 * images out, the artifact figures of teacher and student on them and their before/after
 * pictures, copied into the folder so that the card shows them wherever it goes.
 */
public final class ModelCard {

	/** The file name the hub and {@code huggingface_hub.ModelCard.load} read. */
	public static final String FILE = "README.md";

	/** The folder, beside the card, that its pictures are copied to. */
	public static final String PICTURES = "pictures";

	private static final String[][] FIGURES = {
			{ "outlier fraction (share of patch tokens above the teacher's norm" + " threshold)", "outlierFraction" },
			{ "max / median patch-token norm", "maxToMedianRatio" },
			{ "neighbour cosine (4-neighbouring patches)", "neighbourCosine" },
			{ "variance of patch-token norms", "normVariance" } };

	private ModelCard() {
	}

	/**
	 * Writes the card into {@code folder}.
	 * @param folder the exported folder
	 * @param teacher what the student was distilled from, as the job named it
	 * @param teacherFormat the teacher's checkpoint family and layout
	 * @param format the layout of the folder the card describes
	 * @param registers the student's register tokens
	 * @param settings the settings in effect, by name
	 * @param evaluation the job's evaluation ({@code images}, {@code teacher} and
	 * {@code student} figures), or null without held-out images
	 * @param pictures the evaluation's before/after pictures (PNG), in the order shown
	 * @return the card's file
	 */
	public static Path write(Path folder, String teacher, CheckpointFormat teacherFormat, CheckpointFormat format,
			int registers, Map<String, ?> settings, JsonNode evaluation, List<Path> pictures) throws IOException {
		StringBuilder card = new StringBuilder();
		card.append("---\nlibrary_name: transformers\npipeline_tag: image-feature-extraction\n")
			.append("tags:\n- vision-transformer\n- registers\n- ph-reg\n- phreg\n---\n\n");
		card.append("# Vision Transformer with ").append(registers).append(" register tokens (PH-Reg)\n\n");
		card.append("Distilled by phreg from the teacher `")
			.append(teacher)
			.append("` with PH-Reg (\"Vision Transformers with Self-Distilled Registers\", arXiv 2505.21501): ")
			.append("the teacher's weights plus register tokens, trained to reproduce the teacher's denoised ")
			.append("dense features, so that its patch tokens lose the high-norm artifacts.\n\n");
		card.append("- teacher family: ")
			.append(teacherFormat.family())
			.append(" (")
			.append(teacherFormat.description())
			.append(", `")
			.append(teacherFormat)
			.append("`)\n- this folder: ")
			.append(format.description())
			.append(" (`")
			.append(format)
			.append("`)\n\n");
		card.append("## Use\n\n```python\nfrom transformers import AutoImageProcessor, AutoModel\n\n")
			.append("processor = AutoImageProcessor.from_pretrained(\"path/to/this/folder\")\n")
			.append("model = AutoModel.from_pretrained(\"path/to/this/folder\")\n")
			.append("outputs = model(**processor(images=image, return_tensors=\"pt\"))\n")
			.append("patch_tokens = outputs.last_hidden_state[:, 1 + model.config.num_register_tokens:]\n```\n\n");
		card.append("## Settings\n\n| setting | value |\n|---|---|\n");
		settings.forEach((name, value) -> card.append("| ").append(name).append(" | ").append(value).append(" |\n"));
		if (evaluation != null) {
			card.append("\n## Before and after\n\nOn ")
				.append(evaluation.path("images").size())
				.append(" held-out images at ")
				.append(evaluation.path("resolution").asInt())
				.append(" px:\n\n| figure | teacher | student |\n|---|---|---|\n");
			for (String[] figure : FIGURES) {
				card.append(String.format(Locale.ROOT, "| %s | %.4g | %.4g |%n", figure[0],
						evaluation.path("teacher").path(figure[1]).asDouble(Double.NaN),
						evaluation.path("student").path(figure[1]).asDouble(Double.NaN)));
			}
		}
		if (!pictures.isEmpty()) {
			// Each picture: input, teacher norms, student norms (one colour scale),
			// teacher PCA, student PCA.
			card.append("\n## Pictures\n\nPer held-out image: the input, the patch-token norms of teacher and ")
				.append("student on one colour scale, and the first three principal components of their features.\n\n");
			Path copies = Files.createDirectories(folder.resolve(PICTURES));
			for (Path picture : pictures) {
				String name = picture.getFileName().toString();
				Files.copy(picture, copies.resolve(name), StandardCopyOption.REPLACE_EXISTING);
				card.append("![").append(name).append("](").append(PICTURES).append('/').append(name).append(")\n\n");
			}
		}
		Path file = folder.resolve(FILE);
		Files.writeString(file, card);
		return file;
	}

}
