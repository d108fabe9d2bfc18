package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.phreg.checkpoint.safetensors.DirectBuffers;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;

/**
 * Reads a checkpoint file or folder of any supported family into a
 * {@link VisionTransformer}. The family is detected from the key names; a checkpoint no
 * family recognizes is refused with a list of what was found. Every key must be used and
 * every shape must fit before any value is read.
 */
public final class CheckpointLoader {

	/**
	 * The most one piece of a parameter takes on its way from the checkpoint into the
	 * model: parameters larger than this (DINOv3-7B's feed-forward weights are 134 MB in
	 * float32) are copied a few rows at a time.
	 */
	public static final int STAGING_BYTES = 64 << 20;

	private CheckpointLoader() {
	}

	/**
	 * Detects the family and maps the checkpoint without reading tensor values (beyond
	 * small buffers checked against the architecture).
	 */
	public static ConvertedCheckpoint convert(StateDict dict) throws IOException {
		return convert(dict, LoadOptions.DEFAULTS);
	}

	/**
	 * Detects the family and maps the checkpoint without reading tensor values (beyond
	 * small buffers checked against the architecture, such as DINOv3's RoPE periods).
	 * @param dict the open checkpoint
	 * @param options what the checkpoint cannot tell, such as the number of heads
	 * @return the architecture and where each parameter comes from
	 * @throws InvalidCheckpointException if no family fits, the config disagrees with the
	 * weights, or the number of heads is neither in the config nor in {@code options}
	 */
	public static ConvertedCheckpoint convert(StateDict dict, LoadOptions options) throws IOException {
		FamilyCodec codec = detect(dict);
		ConvertedCheckpoint converted = codec.convert(new KeyLedger(dict), SidecarConfig.find(dict.location()),
				options);
		checkShapes(dict.location(), converted);
		return converted;
	}

	public static LoadedModel load(Path location, NDManager manager) throws IOException {
		return load(location, manager, LoadOptions.DEFAULTS);
	}

	/**
	 * Loads a checkpoint.
	 * @param location a safetensors file, or a folder with one file or a shard set
	 * @param manager owns the model's arrays
	 * @param options what the checkpoint cannot tell, such as the number of heads
	 * @return the model with its family, normalization and ignored keys
	 * @throws InvalidCheckpointException if the checkpoint cannot become a model
	 * @throws IOException if it cannot be read
	 */
	public static LoadedModel load(Path location, NDManager manager, LoadOptions options) throws IOException {
		return load(location, manager, options, UnaryOperator.identity());
	}

	/**
	 * Loads a checkpoint, letting the caller adjust what the weights cannot tell (such as
	 * CLIP's activation) through {@code adjust}; the adjusted config must keep every
	 * parameter shape.
	 */
	public static LoadedModel load(Path location, NDManager manager, UnaryOperator<ViTConfig> adjust)
			throws IOException {
		return load(location, manager, LoadOptions.DEFAULTS, adjust);
	}

	private static LoadedModel load(Path location, NDManager manager, LoadOptions options,
			UnaryOperator<ViTConfig> adjust) throws IOException {
		try (StateDict dict = StateDict.open(location, options.limits())) {
			ConvertedCheckpoint converted = convert(dict, options);
			ConvertedCheckpoint adjusted = new ConvertedCheckpoint(converted.format(), adjust.apply(converted.config()),
					converted.normalization(), converted.parameters(), converted.ignored(), converted.carried());
			checkShapes(location, adjusted);
			VisionTransformer model = VisionTransformer.create(adjusted.config(), manager);
			long stagingBytes = fill(model, adjusted.parameters(), location, STAGING_BYTES);
			Map<String, TensorData> carried = new LinkedHashMap<>();
			for (Map.Entry<String, String> entry : adjusted.carried().entrySet()) {
				carried.put(entry.getKey(), dict.copy(entry.getValue()));
			}
			LoadFootprint footprint = new LoadFootprint(stagingBytes, dict.largestTransientMapping(),
					dict.transientMappedBytes());
			return new LoadedModel(location.toString(), adjusted.format(), model, adjusted.normalization(),
					adjusted.ignored(), new CarriedTensors(carried), footprint);
		}
	}

	/**
	 * Streams every parameter's values from the checkpoint into the model, whole rows at
	 * a time through one direct float32 buffer: each piece is read from its mapped file
	 * region (converted from the stored dtype, the region unmapped at once), scanned for
	 * non-finite values and copied into the parameter by the engine, which reads the
	 * buffer where it lies. Peak memory is the model plus that buffer and one mapped
	 * piece.
	 * @param limitBytes the most the buffer may take; it is smaller when the largest
	 * parameter is, and larger only when a single row does not fit
	 * @return the bytes of the buffer
	 */
	static long fill(VisionTransformer model, Map<String, TensorSource> parameters, Path location, int limitBytes)
			throws IOException {
		long largestParameter = 0;
		long largestRow = 0;
		for (TensorSource source : parameters.values()) {
			largestParameter = Math.max(largestParameter, source.elementCount());
			largestRow = Math.max(largestRow, rowLength(source));
		}
		long stagingFloats = Math.max(largestRow, Math.min(largestParameter, limitBytes / Float.BYTES));
		int stagingBytes = Math.toIntExact(stagingFloats * Float.BYTES);
		ByteBuffer staging = ByteBuffer.allocateDirect(stagingBytes).order(ByteOrder.nativeOrder());
		try {
			NonFiniteScan scan = new NonFiniteScan();
			for (Map.Entry<String, TensorSource> parameter : parameters.entrySet()) {
				TensorSource source = parameter.getValue();
				long rowLength = rowLength(source);
				long rowsPerPiece = stagingFloats / rowLength;
				long rows = source.elementCount() / rowLength;
				for (long first = 0; first < rows; first += rowsPerPiece) {
					int count = Math.toIntExact(Math.min(rowsPerPiece, rows - first) * rowLength);
					FloatBuffer piece = staging.clear().asFloatBuffer().limit(count);
					source.readInto(first * rowLength, piece);
					scan.scan(source.name(), piece.flip());
					model.setParameterRows(parameter.getKey(), first, staging.limit(count * Float.BYTES));
				}
			}
			scan.check("Checkpoint " + location, "A model with such weights computes NaN features; download or "
					+ "export the checkpoint again, or pick an earlier one.");
		}
		finally {
			DirectBuffers.release(staging);
		}
		return stagingBytes;
	}

	/** Elements per index of the first axis; a scalar is one row of one. */
	private static long rowLength(TensorSource source) {
		long[] shape = source.shape();
		return (shape.length == 0 || shape[0] == 0) ? Math.max(1, source.elementCount())
				: source.elementCount() / shape[0];
	}

	private static FamilyCodec detect(StateDict dict) throws InvalidCheckpointException {
		List<FamilyCodec> matches = FamilyCodecs.ALL.stream()
			.filter((codec) -> codec.recognizes(dict.tensors().keySet()))
			.toList();
		if (matches.size() == 1) {
			return matches.get(0);
		}
		if (matches.isEmpty()) {
			String known = FamilyCodecs.ALL.stream()
				.map((codec) -> codec.format().description() + " (" + codec.signature() + ")")
				.collect(Collectors.joining("; "));
			List<String> found = dict.tensors().keySet().stream().limit(16).toList();
			throw new InvalidCheckpointException(
					"No known checkpoint family recognizes " + dict.location() + ": it has " + dict.tensors().size()
							+ " tensors, such as " + found + ". Known families: " + known);
		}
		throw new InvalidCheckpointException("Checkpoint " + dict.location() + " matches several families: "
				+ matches.stream().map(FamilyCodec::format).toList());
	}

	private static void checkShapes(Path location, ConvertedCheckpoint converted) throws InvalidCheckpointException {
		Map<String, Shape> expected = new VisionTransformer(converted.config()).parameterShapes();
		List<String> problems = new ArrayList<>();
		for (Map.Entry<String, Shape> parameter : expected.entrySet()) {
			TensorSource source = converted.parameters().get(parameter.getKey());
			if (source == null) {
				problems.add(parameter.getKey() + " missing");
			}
			else if (!Arrays.equals(source.shape(), parameter.getValue().getShape())) {
				problems.add(parameter.getKey() + " is " + Arrays.toString(source.shape()) + ", model needs "
						+ parameter.getValue());
			}
		}
		converted.parameters()
			.keySet()
			.stream()
			.filter((name) -> !expected.containsKey(name))
			.forEach((name) -> problems.add(name + " is not a parameter of this architecture"));
		if (!problems.isEmpty()) {
			throw new InvalidCheckpointException("Checkpoint " + location + " does not fit "
					+ converted.format().description() + " " + converted.config() + ": " + String.join("; ", problems));
		}
	}

}
