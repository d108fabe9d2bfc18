package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a {@link VisionTransformer}, typically a PH-Reg student, in a family's own
 * checkpoint layout, so that transformers, the DINOv2 hub code, timm or OpenCLIP-style
 * code load it without phreg (see each {@link FamilyCodec}).
 * <p>
 * A model the layout cannot hold exactly (say a CLIP tower as DINOv2, which has no
 * {@code ln_pre}) is refused before anything is written. Every export is then read back
 * through phreg's loader, which encodes what each family's code does with a checkpoint:
 * it must detect the family and rebuild the same architecture. What the family runs
 * differently although the weights are the same, such as transformers' fixed
 * position-embedding resampling rule, is reported as notes rather than refused, since for
 * many models (a DINOv2 student in Hugging Face format) there is no alternative.
 */
public final class CheckpointExporter {

	private static final Set<DType> DTYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private CheckpointExporter() {
	}

	/**
	 * Why {@code format} cannot hold a model of {@code config} exactly, one sentence per
	 * reason; empty when it can. A job asks this at submission, so that a student whose
	 * format cannot be written is refused before it is trained.
	 */
	public static List<String> problems(ViTConfig config, CheckpointFormat format) {
		return List.copyOf(FamilyCodecs.of(format).unsupported(config));
	}

	/**
	 * Exports with the family's usual pixel statistics (ImageNet, CLIP's for CLIP) in the
	 * configs that carry them.
	 * @see #export(VisionTransformer, CheckpointFormat, Path, DType, Map, Normalization)
	 */
	public static ExportedCheckpoint export(VisionTransformer model, CheckpointFormat format, Path target, DType dtype,
			Map<String, String> metadata) throws IOException {
		Normalization normalization = (format == CheckpointFormat.CLIP_OPENAI) ? Normalization.CLIP
				: Normalization.IMAGENET;
		return export(model, format, target, dtype, metadata, normalization);
	}

	/**
	 * Writes the model's weights and the family's config, replacing existing files of the
	 * same names.
	 * @param model the model to export
	 * @param format the layout to write
	 * @param target a folder for {@link CheckpointFormat#DINOV2_HF}, {@code TIMM},
	 * {@code CLIP_OPENAI}, {@code DINOV3_HF}, {@code EVA02_TIMM} and {@code SIGLIP_TIMM}
	 * (created if needed); a {@code <name>.safetensors} file for {@code DINOV2_HUB} and
	 * {@code DINOV3}, whose config goes beside it as {@code <name>.config.json}
	 * @param dtype F32, F16 or BF16; values are rounded to nearest even
	 * @param metadata safetensors metadata stored after {@code format: pt}
	 * @param normalization the pixel statistics the model expects, written where the
	 * family's config has a place for them
	 * @return the files written and how the family will run the model differently
	 * @throws IllegalArgumentException if the layout cannot hold the model, the dtype is
	 * not a checkpoint dtype or the metadata redefines {@code format}
	 * @throws NonFiniteWeightsException if any weight is NaN or infinite; nothing is
	 * written then
	 */
	public static ExportedCheckpoint export(VisionTransformer model, CheckpointFormat format, Path target, DType dtype,
			Map<String, String> metadata, Normalization normalization) throws IOException {
		return export(model, CarriedTensors.NONE, format, target, dtype, metadata, normalization);
	}

	/**
	 * Writes the model's weights, the tensors carried from its source checkpoint (or its
	 * teacher's) unchanged, and the family's config, replacing existing files of the same
	 * names.
	 * @param model the model to export
	 * @param carried unused tensors to write back as stored, usually
	 * {@link LoadedModel#carried()} of the teacher; without them the family's neutral
	 * values (a zero mask token) are written
	 * @see #export(VisionTransformer, CheckpointFormat, Path, DType, Map, Normalization)
	 */
	public static ExportedCheckpoint export(VisionTransformer model, CarriedTensors carried, CheckpointFormat format,
			Path target, DType dtype, Map<String, String> metadata, Normalization normalization) throws IOException {
		FamilyCodec codec = FamilyCodecs.of(format);
		ViTConfig config = model.config();
		if (!DTYPES.contains(dtype)) {
			throw new IllegalArgumentException("Checkpoints are exported as " + DTYPES + ", not " + dtype);
		}
		List<String> problems = codec.unsupported(config);
		if (!problems.isEmpty()) {
			throw new IllegalArgumentException(
					"Cannot export this model as " + format.description() + ": " + String.join("; ", problems));
		}
		Map<String, String> header = header(metadata);
		CheckpointFiles files = codec.files(target);
		List<TensorData> tensors = new ArrayList<>();
		TensorSink sink = new TensorSink() {
			@Override
			public void add(String key, long[] shape, float[] values) {
				tensors.add(TensorData.ofFloats(key, shape, values, dtype));
			}

			@Override
			public void addUnchanged(String key, TensorData stored) {
				tensors.add(new TensorData(key, stored.dtype(), stored.shape(), stored.bytes()));
			}
		};
		NonFiniteScan scan = new NonFiniteScan();
		for (Pair<String, Parameter> parameter : model.getParameters()) {
			NDArray array = parameter.getValue().getArray();
			float[] values = array.toFloatArray();
			scan.scan(parameter.getKey(), values, dtype);
			codec.addTensors(parameter.getKey(), array.getShape().getShape(), values, config, sink);
		}
		// Checked before anything is written: a diverged model must never be published.
		scan.check("The model to export as " + dtype + " to " + target,
				"It is not written: it has diverged (resume from an earlier checkpoint or train with a lower "
						+ "learning rate), or its values exceed the range of " + dtype + " (export as F32).");
		codec.addRequiredExtras(config, carried, sink);
		Files.createDirectories(files.weights().toAbsolutePath().getParent());
		List<Path> written = new ArrayList<>(List.of(files.weights(), files.config()));
		JSON.writerWithDefaultPrettyPrinter()
			.writeValue(files.config().toFile(), codec.config(config, dtype, normalization));
		for (Map.Entry<String, ObjectNode> companion : codec.companionFiles(config, normalization).entrySet()) {
			Path file = files.config().resolveSibling(companion.getKey());
			JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), companion.getValue());
			written.add(file);
		}
		SafetensorsWriter.write(files.weights(), header, tensors);
		List<String> notes = readBack(files.location(), format, config);
		return new ExportedCheckpoint(format, files.location(), List.copyOf(written), notes);
	}

	private static Map<String, String> header(Map<String, String> metadata) {
		String format = metadata.getOrDefault("format", "pt");
		if (!format.equals("pt")) {
			throw new IllegalArgumentException(
					"safetensors metadata 'format' must stay 'pt' for PyTorch loaders, got '" + format + "'");
		}
		Map<String, String> header = new LinkedHashMap<>();
		header.put("format", "pt");
		header.putAll(metadata);
		return header;
	}

	/**
	 * Converts the written checkpoint as {@link CheckpointLoader} will: a different
	 * family or architecture is a bug of a writer; a different resampling rule or
	 * register order is how the family's code runs these weights, and becomes a note.
	 */
	private static List<String> readBack(Path location, CheckpointFormat format, ViTConfig config) throws IOException {
		ConvertedCheckpoint converted;
		try (StateDict dict = StateDict.open(location)) {
			converted = CheckpointLoader.convert(dict);
		}
		ViTConfig read = converted.config();
		List<String> notes = new ArrayList<>();
		if (read.positionResampling() != config.positionResampling()) {
			notes.add("Loaded as " + format + ", the position embedding is resampled with " + read.positionResampling()
					+ " (this model: " + config.positionResampling() + "): features of inputs other than "
					+ config.imageSize() + "x" + config.imageSize() + " px will differ slightly");
		}
		if (config.numRegisters() > 0 && read.registerPlacement() != config.registerPlacement()) {
			notes.add("Loaded as " + format + ", register tokens come " + read.registerPlacement() + " (this model: "
					+ config.registerPlacement() + "): the same features, in another token order");
		}
		ViTConfig expected = config.toBuilder()
			.optPositionResampling(read.positionResampling())
			.optRegisters(config.numRegisters(), read.registerPlacement())
			.build();
		if (converted.format() != format || !read.equals(expected)) {
			throw new IllegalStateException("The " + format + " export at " + location + " reads back as "
					+ converted.format() + " " + read + " instead of " + expected);
		}
		return notes;
	}

}
