package ai.phreg.checkpoint.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and fully validates the header of a safetensors file before any tensor data is
 * touched. Every size the file declares is checked against the real file size and the
 * {@link SafetensorsLimits} first, so a lying, truncated or hostile file fails with a
 * {@link SafetensorsFormatException} instead of a giant allocation, a buffer underflow or
 * a crash on a mapping past the end of the file.
 * <p>
 * Until the header has proven to be a UTF-8 JSON object, messages say what is wrong
 * without quoting a single byte of the file: a path that points somewhere it should not
 * (say a link to {@code /etc/passwd}) must not turn error messages into a way to read it.
 */
final class SafetensorsHeader {

	static final String METADATA_KEY = "__metadata__";

	private static final int PREFIX_LENGTH = 8;

	private static final int MAX_QUOTED_JSON = 80;

	private static final String NOT_SAFETENSORS = "not a safetensors file ";

	/**
	 * A header is at most three levels deep (entry, shape array); deeper nesting is a
	 * hostile file, refused by the parser before it recurses.
	 */
	private static final int MAX_NESTING_DEPTH = 8;

	/**
	 * Strict duplicate detection because a repeated tensor name would otherwise silently
	 * keep one of two entries. String and name limits are raised to the format's header
	 * limit so that every header the limits allow also parses here.
	 */
	static final JsonMapper JSON = JsonMapper
		.builder(JsonFactory.builder()
			.streamReadConstraints(StreamReadConstraints.builder()
				.maxStringLength((int) SafetensorsLimits.FORMAT_MAX_HEADER_BYTES)
				.maxNameLength((int) SafetensorsLimits.FORMAT_MAX_HEADER_BYTES)
				.maxNestingDepth(MAX_NESTING_DEPTH)
				.build())
			.build())
		.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
		.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
		.build();

	private final long headerLength;

	private final Map<String, String> metadata;

	private final TreeMap<String, TensorInfo> tensors;

	private SafetensorsHeader(long headerLength, Map<String, String> metadata, TreeMap<String, TensorInfo> tensors) {
		this.headerLength = headerLength;
		this.metadata = metadata;
		this.tensors = tensors;
	}

	/** Offset of the data section from the start of the file. */
	long dataStart() {
		return PREFIX_LENGTH + this.headerLength;
	}

	Map<String, String> metadata() {
		return this.metadata;
	}

	TreeMap<String, TensorInfo> tensors() {
		return this.tensors;
	}

	static SafetensorsHeader read(Path file, FileChannel channel, SafetensorsLimits limits) throws IOException {
		long fileSize = channel.size();
		if (fileSize < PREFIX_LENGTH) {
			throw new SafetensorsFormatException(file,
					NOT_SAFETENSORS + "(it is shorter than the 8-byte header length field)");
		}
		ByteBuffer prefix = ByteBuffer.allocate(PREFIX_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
		readFully(file, channel, prefix, 0);
		long headerLength = prefix.getLong(0);
		if (headerLength < 2 || headerLength > SafetensorsLimits.FORMAT_MAX_HEADER_BYTES) {
			throw new SafetensorsFormatException(file, NOT_SAFETENSORS + "(header length field out of range)");
		}
		if (headerLength > fileSize - PREFIX_LENGTH) {
			throw new SafetensorsFormatException(file,
					NOT_SAFETENSORS + "or truncated (the header length field runs past the end of the file)");
		}
		if (headerLength > limits.maxHeaderBytes()) {
			throw new SafetensorsFormatException(file, "header exceeds the limit of " + limits.maxHeaderBytes()
					+ " bytes; real checkpoints have far smaller headers");
		}
		byte[] headerBytes = new byte[(int) headerLength];
		readFully(file, channel, ByteBuffer.wrap(headerBytes), PREFIX_LENGTH);
		checkUtf8(file, headerBytes);
		checkTensorCount(file, headerBytes, limits.maxTensors());
		JsonNode root = parseJson(file, headerBytes);
		long dataLength = fileSize - PREFIX_LENGTH - headerLength;
		return validate(file, headerLength, dataLength, root);
	}

	private static void readFully(Path file, FileChannel channel, ByteBuffer target, long position) throws IOException {
		while (target.hasRemaining()) {
			int read = channel.read(target, position + target.position());
			if (read < 0) {
				throw new SafetensorsFormatException(file, "file ended while reading the header (truncated?)");
			}
		}
	}

	/**
	 * Decoded strictly, since a lenient decoder would replace bad bytes silently, but
	 * into a small reused buffer: the text itself is never needed, only the verdict.
	 */
	private static void checkUtf8(Path file, byte[] bytes) throws SafetensorsFormatException {
		CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
			.onMalformedInput(CodingErrorAction.REPORT)
			.onUnmappableCharacter(CodingErrorAction.REPORT);
		ByteBuffer in = ByteBuffer.wrap(bytes);
		CharBuffer out = CharBuffer.allocate(4096);
		CoderResult result;
		do {
			result = decoder.decode(in, out.clear(), true);
			if (result.isUnderflow()) {
				result = decoder.flush(out.clear());
			}
			if (result.isError()) {
				throw new SafetensorsFormatException(file, NOT_SAFETENSORS + "(the header is not UTF-8 text)");
			}
		}
		while (result.isOverflow());
	}

	/**
	 * Counts the top-level entries with a streaming pass that skips their values, so a
	 * header with millions of entries is refused before any tree is built for them.
	 */
	private static void checkTensorCount(Path file, byte[] bytes, int maxTensors) throws SafetensorsFormatException {
		try (JsonParser parser = JSON.createParser(bytes)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				return;
			}
			int tensors = 0;
			while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
				if (!METADATA_KEY.equals(parser.currentName()) && ++tensors > maxTensors) {
					throw new SafetensorsFormatException(file,
							"header lists more than " + maxTensors + " tensors, the limit for one file");
				}
				parser.nextToken();
				parser.skipChildren();
			}
		}
		catch (JacksonException ex) {
			throw notJson(file, ex);
		}
	}

	private static JsonNode parseJson(Path file, byte[] bytes) throws SafetensorsFormatException {
		JsonNode root;
		try {
			root = JSON.readTree(bytes);
		}
		catch (JacksonException ex) {
			throw notJson(file, ex);
		}
		if (!root.isObject()) {
			// Blank text parses to a MissingNode, whose type name would only confuse.
			String kind = root.isMissingNode() ? "empty" : root.getNodeType().toString();
			throw new SafetensorsFormatException(file,
					NOT_SAFETENSORS + "(header JSON must be an object, not " + kind + ")");
		}
		return root;
	}

	/**
	 * Where the JSON breaks, but not the parser's own words: they quote the offending
	 * characters, which may be anything the path points to.
	 */
	private static SafetensorsFormatException notJson(Path file, JacksonException ex) {
		TokenStreamLocation location = ex.getLocation();
		String where = (location != null && location.getLineNr() > 0)
				? " at line " + location.getLineNr() + ", column " + location.getColumnNr() : "";
		String message = ex.getOriginalMessage();
		String what = (message != null && message.startsWith("Duplicate")) ? "the header repeats a key" + where
				: (ex instanceof StreamConstraintsException) ? "the header is nested too deeply" + where
						: "the header is not valid JSON" + where;
		return new SafetensorsFormatException(file, NOT_SAFETENSORS + "(" + what + ")", ex);
	}

	private static SafetensorsHeader validate(Path file, long headerLength, long dataLength, JsonNode root)
			throws SafetensorsFormatException {
		Map<String, String> metadata = Collections.emptyMap();
		TreeMap<String, TensorInfo> tensors = new TreeMap<>();
		for (Map.Entry<String, JsonNode> property : root.properties()) {
			if (METADATA_KEY.equals(property.getKey())) {
				metadata = parseMetadata(file, property.getValue());
			}
			else {
				TensorInfo info = parseEntry(file, property.getKey(), property.getValue());
				tensors.put(info.name(), info);
			}
		}
		checkCoverage(file, tensors, dataLength);
		return new SafetensorsHeader(headerLength, metadata, tensors);
	}

	private static Map<String, String> parseMetadata(Path file, JsonNode node) throws SafetensorsFormatException {
		if (!node.isObject()) {
			throw new SafetensorsFormatException(file,
					METADATA_KEY + " must be an object of strings, not " + node.getNodeType());
		}
		Map<String, String> metadata = new LinkedHashMap<>();
		for (Map.Entry<String, JsonNode> entry : node.properties()) {
			if (!entry.getValue().isString()) {
				throw new SafetensorsFormatException(file, METADATA_KEY + " must map strings to strings, but '"
						+ entry.getKey() + "' is " + entry.getValue().getNodeType() + " " + quote(entry.getValue()));
			}
			metadata.put(entry.getKey(), entry.getValue().asString());
		}
		return Collections.unmodifiableMap(metadata);
	}

	private static TensorInfo parseEntry(Path file, String name, JsonNode entry) throws SafetensorsFormatException {
		if (!entry.isObject()) {
			throw problem(file, name, "entry must be an object, not " + entry.getNodeType() + " " + quote(entry));
		}
		JsonNode dtypeNode = required(file, name, entry, "dtype");
		if (!dtypeNode.isString()) {
			throw problem(file, name, "'dtype' must be a string, not " + quote(dtypeNode));
		}
		DType dtype;
		try {
			dtype = DType.parse(dtypeNode.asString());
		}
		catch (IllegalArgumentException ex) {
			throw problem(file, name, ex.getMessage());
		}
		long[] shape = longs(file, name, required(file, name, entry, "shape"), "shape");
		long byteCount;
		try {
			byteCount = Shapes.byteCount(shape, dtype);
		}
		catch (IllegalArgumentException ex) {
			throw problem(file, name, ex.getMessage());
		}
		JsonNode offsetsNode = required(file, name, entry, "data_offsets");
		long[] offsets = longs(file, name, offsetsNode, "data_offsets");
		if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < 0) {
			throw problem(file, name,
					"'data_offsets' must be two non-negative integers [begin, end], not " + quote(offsetsNode));
		}
		long begin = offsets[0];
		long end = offsets[1];
		if (begin > end) {
			throw problem(file, name, "data_offsets [" + begin + ", " + end + "] begin after they end");
		}
		if (end - begin != byteCount) {
			throw problem(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes but "
					+ dtype + Arrays.toString(shape) + " needs " + byteCount + " bytes");
		}
		return new TensorInfo(name, dtype, shape, begin, end);
	}

	private static JsonNode required(Path file, String name, JsonNode entry, String field)
			throws SafetensorsFormatException {
		JsonNode value = entry.get(field);
		if (value == null) {
			throw problem(file, name, "missing '" + field + "'");
		}
		return value;
	}

	private static long[] longs(Path file, String name, JsonNode node, String field) throws SafetensorsFormatException {
		if (!node.isArray()) {
			throw problem(file, name, "'" + field + "' must be an array of integers, not " + quote(node));
		}
		long[] values = new long[node.size()];
		for (int i = 0; i < values.length; i++) {
			JsonNode element = node.get(i);
			if (!element.isIntegralNumber() || !element.canConvertToLong()) {
				throw problem(file, name, "'" + field + "' must be an array of integers that fit a long, but "
						+ quote(node) + " has " + quote(element) + " at index " + i);
			}
			values[i] = element.longValue();
		}
		return values;
	}

	/**
	 * The data section must be tiled exactly, in offset order: no overlaps (two tensors
	 * sharing bytes), no gaps (bytes nobody owns) and nothing before or past its end.
	 */
	private static void checkCoverage(Path file, TreeMap<String, TensorInfo> tensors, long dataLength)
			throws SafetensorsFormatException {
		List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
		byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
		long covered = 0;
		TensorInfo previous = null;
		for (TensorInfo info : byOffset) {
			if (info.begin() < covered) {
				throw new SafetensorsFormatException(file,
						"tensor '" + shorten(info.name()) + "' at bytes [" + info.begin() + ", " + info.end()
								+ ") overlaps tensor '" + shorten(previous.name()) + "' at bytes [" + previous.begin()
								+ ", " + previous.end() + ")");
			}
			if (info.begin() > covered) {
				String after = (previous != null) ? "after tensor '" + shorten(previous.name()) + "' "
						: "at the start ";
				throw new SafetensorsFormatException(file,
						"gap of " + (info.begin() - covered) + " bytes in the data section " + after + "(bytes ["
								+ covered + ", " + info.begin() + ") belong to no tensor, next is tensor '"
								+ shorten(info.name()) + "')");
			}
			if (info.end() > dataLength) {
				throw new SafetensorsFormatException(file, "tensor '" + shorten(info.name()) + "' ends at data byte "
						+ info.end() + " but the data section has only " + dataLength + " bytes (file truncated?)");
			}
			covered = info.end();
			previous = info;
		}
		if (covered != dataLength) {
			throw new SafetensorsFormatException(file, "tensors cover " + covered + " bytes but the data section has "
					+ dataLength + " bytes (" + (dataLength - covered) + " trailing bytes belong to no tensor)");
		}
	}

	private static SafetensorsFormatException problem(Path file, String name, String what) {
		return new SafetensorsFormatException(file, "tensor '" + shorten(name) + "': " + what);
	}

	/** Names are attacker-controlled too; keep messages readable. */
	private static String shorten(String text) {
		return (text.length() <= MAX_QUOTED_JSON) ? text : text.substring(0, MAX_QUOTED_JSON) + "...";
	}

	/**
	 * JSON text of a node, shortened so a hostile header cannot produce a huge message.
	 */
	private static String quote(JsonNode node) {
		return shorten(node.toString());
	}

}
