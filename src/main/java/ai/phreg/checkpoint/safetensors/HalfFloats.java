package ai.phreg.checkpoint.safetensors;

/**
 * Conversions between float32 and the two 16-bit float formats of real checkpoints. Java
 * 17 has no {@code Float.float16ToFloat}, and DJL cannot decode BF16 at all, so both
 * directions are written out here. Widening is exact; narrowing rounds to nearest, ties
 * to even, as PyTorch's {@code .to(torch.float16)} and {@code .to(torch.bfloat16)} do, so
 * a checkpoint converted here is bit-identical to one converted in Python. NaN stays NaN
 * (quieted, sign and leading payload bits kept).
 */
public final class HalfFloats {

	private static final int FLOAT_EXPONENT_MASK = 0x7f800000;

	/** Smallest float that rounds to half infinity: halfway between 65504 and 65536. */
	private static final int HALF_OVERFLOW_THRESHOLD = 0x477ff000;

	/** 2^-14, the smallest normal half. */
	private static final int HALF_MIN_NORMAL_AS_FLOAT = 0x38800000;

	/**
	 * 2^-25, half of the smallest subnormal half; it and everything below round to zero.
	 */
	private static final int HALF_ROUNDS_TO_ZERO = 0x33000000;

	/**
	 * Float exponent bias minus half exponent bias, pre-shifted into the exponent field.
	 */
	private static final int REBIAS = (127 - 15) << 23;

	private HalfFloats() {
	}

	/**
	 * Widens IEEE 754 binary16 bits to a float (exact).
	 * @param half the raw 16 bits
	 * @return the same value as a float
	 */
	public static float halfToFloat(short half) {
		int bits = half & 0xffff;
		int sign = (bits & 0x8000) << 16;
		int exponent = (bits >>> 10) & 0x1f;
		int mantissa = bits & 0x3ff;
		if (exponent == 0x1f) {
			return Float.intBitsToFloat(sign | FLOAT_EXPONENT_MASK | (mantissa << 13));
		}
		if (exponent == 0) {
			// Subnormal (or zero): mantissa * 2^-24 is exact in float, whose range is
			// wider.
			float magnitude = mantissa * 0x1p-24f;
			return (sign != 0) ? -magnitude : magnitude;
		}
		return Float.intBitsToFloat(sign | ((bits & 0x7fff) << 13) + REBIAS);
	}

	/**
	 * Narrows a float to IEEE 754 binary16 bits, rounding to nearest with ties to even.
	 * @param value the float
	 * @return the raw 16 bits
	 */
	public static short floatToHalf(float value) {
		int bits = Float.floatToRawIntBits(value);
		int sign = (bits >>> 16) & 0x8000;
		int magnitude = bits & 0x7fffffff;
		if (magnitude > FLOAT_EXPONENT_MASK) {
			// Setting the quiet bit keeps a NaN whose payload lives only in dropped bits
			// a NaN.
			return (short) (sign | 0x7e00 | ((magnitude >>> 13) & 0x3ff));
		}
		if (magnitude >= HALF_OVERFLOW_THRESHOLD) {
			return (short) (sign | 0x7c00);
		}
		if (magnitude >= HALF_MIN_NORMAL_AS_FLOAT) {
			return (short) (sign | roundShift(magnitude - REBIAS, 13));
		}
		if (magnitude <= HALF_ROUNDS_TO_ZERO) {
			return (short) sign;
		}
		// Half subnormal: count units of 2^-24. The float is normal here (exponent
		// 102..112), so its significand with the implicit bit, shifted by 126 - exponent,
		// gives that count. A carry out of the subnormal range lands exactly on the
		// smallest normal encoding.
		int exponent = magnitude >>> 23;
		int significand = (magnitude & 0x7fffff) | 0x800000;
		return (short) (sign | roundShift(significand, 126 - exponent));
	}

	/**
	 * Widens bfloat16 bits to a float (exact: bfloat16 is the upper half of a float).
	 * @param bfloat16 the raw 16 bits
	 * @return the same value as a float
	 */
	public static float bfloat16ToFloat(short bfloat16) {
		return Float.intBitsToFloat((bfloat16 & 0xffff) << 16);
	}

	/**
	 * Narrows a float to bfloat16 bits, rounding to nearest with ties to even.
	 * @param value the float
	 * @return the raw 16 bits
	 */
	public static short floatToBfloat16(float value) {
		int bits = Float.floatToRawIntBits(value);
		if ((bits & 0x7fffffff) > FLOAT_EXPONENT_MASK) {
			return (short) ((bits >>> 16) | 0x0040);
		}
		// Adding just under half an output unit, plus the kept LSB, makes the carry
		// implement ties-to-even; a carry out of the largest finite value correctly
		// yields infinity.
		int lsb = (bits >>> 16) & 1;
		return (short) ((bits + 0x7fff + lsb) >>> 16);
	}

	private static int roundShift(int value, int shift) {
		int kept = value >>> shift;
		int dropped = value & ((1 << shift) - 1);
		int half = 1 << (shift - 1);
		if (dropped > half || (dropped == half && (kept & 1) != 0)) {
			kept++;
		}
		return kept;
	}

}
