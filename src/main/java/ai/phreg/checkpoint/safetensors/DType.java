package ai.phreg.checkpoint.safetensors;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types this package can read and write, named exactly as they appear in a
 * safetensors header. The 8-bit float formats (F8_E4M3, F8_E5M2) are deliberately absent:
 * no checkpoint we load uses them, and refusing them by name beats misreading them.
 */
public enum DType {

	F64(8, "float64"), F32(4, "float32"), F16(2, "float16"), BF16(2, "bfloat16"), I64(8, "int64"), I32(4, "int32"),
	I16(2, "int16"), I8(1, "int8"), U8(1, "uint8"), BOOL(1, "bool");

	private final int byteSize;

	private final String torchName;

	DType(int byteSize, String torchName) {
		this.byteSize = byteSize;
		this.torchName = torchName;
	}

	/** Bytes per element in the file. */
	public int byteSize() {
		return this.byteSize;
	}

	/** Whether values are read with {@code readFloats} rather than {@code readInts}. */
	public boolean isFloatingPoint() {
		return this == F64 || this == F32 || this == F16 || this == BF16;
	}

	/** The PyTorch spelling without the {@code torch.} prefix, e.g. {@code bfloat16}. */
	public String torchName() {
		return this.torchName;
	}

	/**
	 * Parses the header spelling ({@code "BF16"}).
	 * @param safetensorsName the dtype string of a header entry
	 * @return the matching type
	 * @throws IllegalArgumentException naming the dtype if it is unknown or unsupported
	 */
	public static DType parse(String safetensorsName) {
		for (DType type : values()) {
			if (type.name().equals(safetensorsName)) {
				return type;
			}
		}
		throw new IllegalArgumentException(
				"unsupported dtype '" + safetensorsName + "' (supported: " + supported() + ")");
	}

	/**
	 * Parses a PyTorch dtype name such as {@code float32} or {@code torch.bfloat16}, as
	 * found in manifests and configs written from Python.
	 * @param torchName the PyTorch spelling
	 * @return the matching type
	 * @throws IllegalArgumentException naming the dtype if it has no counterpart here
	 */
	public static DType fromTorchName(String torchName) {
		String bare = (torchName != null && torchName.startsWith("torch.")) ? torchName.substring(6) : torchName;
		for (DType type : values()) {
			if (type.torchName.equals(bare)) {
				return type;
			}
		}
		throw new IllegalArgumentException("unsupported torch dtype '" + torchName + "' (supported: "
				+ Arrays.stream(values()).map(DType::torchName).collect(Collectors.joining(", ")) + ")");
	}

	private static String supported() {
		return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
	}

}
