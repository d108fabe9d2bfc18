package ai.phreg.distill;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The number format the frozen teacher computes in. Its weights and view pixels are cast
 * once to this format, and its dense features are cast back to float32 before the views
 * are recovered and averaged, so the targets are accumulated in float32 whatever the
 * teacher ran in. Half formats trade a little closeness of the targets (see
 * {@code bench/README.md}) for faster matrix kernels where the hardware and the engine
 * have them: float16 on CUDA. bfloat16, the CPU format (AVX-512 BF16, AMX), is named so
 * that a spec can ask for it, and refused until the engine can create such tensors.
 */
public enum TeacherPrecision {

	FP32(DataType.FLOAT32), BF16(DataType.BFLOAT16), FP16(DataType.FLOAT16);

	private final DataType dataType;

	TeacherPrecision(DataType dataType) {
		this.dataType = dataType;
	}

	public DataType dataType() {
		return this.dataType;
	}

	/**
	 * The spelling users write: {@code fp32}, {@code bf16} or {@code fp16}; also how JSON
	 * spells it, so that a job view echoes what was asked.
	 */
	@JsonValue
	public String spelling() {
		return name().toLowerCase(Locale.ROOT);
	}

	/**
	 * @throws IllegalArgumentException for anything but {@code fp32}, {@code bf16} or
	 * {@code fp16}
	 */
	public static TeacherPrecision of(String spelling) {
		for (TeacherPrecision precision : values()) {
			if (precision.spelling().equals(spelling)) {
				return precision;
			}
		}
		throw new IllegalArgumentException("Unknown teacher precision '" + spelling + "': use one of "
				+ Arrays.stream(values()).map(TeacherPrecision::spelling).collect(Collectors.joining(", ")));
	}

	/**
	 * The precision JSON names: by spelling, or by constant name as job records and
	 * queued messages written before the spelling was JSON's have it.
	 */
	@JsonCreator
	static TeacherPrecision ofJson(String text) {
		for (TeacherPrecision precision : values()) {
			if (precision.name().equals(text)) {
				return precision;
			}
		}
		return of(text);
	}

	/**
	 * Refuses a precision this engine or device cannot run well: bfloat16 anywhere (the
	 * PyTorch engine of DJL 0.36 has no bfloat16 in its native type table: a cast to it
	 * aborts the process), float16 off CUDA (CPUs without AVX-512 FP16 compute it slower
	 * than float32: measured 1.2-1.5x slower per view-image on an AMD EPYC with AVX-512
	 * BF16, see {@code bench/README.md}).
	 * @throws IllegalArgumentException naming the precision, the device and the reason
	 */
	public void requireSupported(Device device) {
		if (this == BF16) {
			throw new IllegalArgumentException("Teacher precision bf16 is not available: the PyTorch engine of DJL "
					+ "0.36 cannot create bfloat16 tensors. Use fp32, or fp16 on a CUDA device.");
		}
		if (this == FP16 && !device.isGpu()) {
			throw new IllegalArgumentException("Teacher precision fp16 needs a CUDA device (cuda:N); this run is on "
					+ device + ", where float16 is slower than fp32. Use fp32.");
		}
	}

}
