package ai.phreg.checkpoint.safetensors;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the 16-bit conversions against bit patterns worked out by hand from IEEE 754,
 * and exhaustively or by property against an independent definition of
 * round-to-nearest-even.
 */
class HalfFloatsTests {

	@Test
	void floatToHalfMatchesHandComputedBits() {
		assertHalf(0f, 0x0000);
		assertHalf(-0f, 0x8000);
		assertHalf(1f, 0x3c00);
		assertHalf(-2f, 0xc000);
		assertHalf(0.1f, 0x2e66);
		assertHalf(1f / 3, 0x3555);
		assertHalf(65504f, 0x7bff);
		assertHalf(-65504f, 0xfbff);
		assertHalf(0x1p-14f, 0x0400);
		assertHalf(0x1p-24f, 0x0001);
		assertHalf(0x3ffp-24f, 0x03ff);
		assertHalf(Float.POSITIVE_INFINITY, 0x7c00);
		assertHalf(Float.NEGATIVE_INFINITY, 0xfc00);
		assertHalf(Float.NaN, 0x7e00);
	}

	@Test
	void floatToHalfRoundsTiesToEven() {
		// 1 + 2^-11 lies halfway between 0x3c00 (even) and 0x3c01.
		assertHalf(1f + 0x1p-11f, 0x3c00);
		// 1 + 3 * 2^-11 lies halfway between 0x3c01 and 0x3c02 (even).
		assertHalf(1f + 3 * 0x1p-11f, 0x3c02);
		assertHalf(Math.nextUp(1f + 0x1p-11f), 0x3c01);
		// 65520 lies halfway between 65504 (odd 0x7bff) and 65536, which is infinity.
		assertHalf(65520f, 0x7c00);
		assertHalf(Math.nextDown(65520f), 0x7bff);
		// 2^-25 lies halfway between 0 (even) and the smallest subnormal.
		assertHalf(0x1p-25f, 0x0000);
		assertHalf(-0x1p-25f, 0x8000);
		assertHalf(Math.nextUp(0x1p-25f), 0x0001);
		// 3 * 2^-25 lies halfway between subnormals 1 and 2 (even).
		assertHalf(3 * 0x1p-25f, 0x0002);
		// Largest subnormal plus half a unit carries into the smallest normal.
		assertHalf(0x3ffp-24f + 0x1p-25f, 0x0400);
		assertHalf(Float.MIN_VALUE, 0x0000);
		assertHalf(Float.MAX_VALUE, 0x7c00);
	}

	@Test
	void halfToFloatMatchesHandComputedValues() {
		assertThat(HalfFloats.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
		assertThat(HalfFloats.halfToFloat((short) 0x03ff)).isEqualTo(0x3ffp-24f);
		assertThat(HalfFloats.halfToFloat((short) 0x0400)).isEqualTo(0x1p-14f);
		assertThat(HalfFloats.halfToFloat((short) 0x3555)).isEqualTo(0.33325195f);
		assertThat(HalfFloats.halfToFloat((short) 0x7bff)).isEqualTo(65504f);
		assertThat(HalfFloats.halfToFloat((short) 0xc000)).isEqualTo(-2f);
		assertThat(HalfFloats.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
		assertThat(HalfFloats.halfToFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
		assertThat(Float.floatToRawIntBits(HalfFloats.halfToFloat((short) 0x8000))).isEqualTo(0x80000000);
		assertThat(Float.floatToRawIntBits(HalfFloats.halfToFloat((short) 0x7e00))).isEqualTo(0x7fc00000);
		assertThat(Float.floatToRawIntBits(HalfFloats.halfToFloat((short) 0xfe01))).isEqualTo(0xffc02000);
	}

	@Test
	void everyHalfSurvivesARoundTripThroughFloat() {
		for (int bits = 0; bits <= 0xffff; bits++) {
			float widened = HalfFloats.halfToFloat((short) bits);
			int back = HalfFloats.floatToHalf(widened) & 0xffff;
			if (isHalfNaN(bits)) {
				// Signalling NaNs come back quieted, with sign and payload kept.
				assertThat(back).as("NaN %04x", bits).isEqualTo(bits | 0x0200);
			}
			else {
				assertThat(back).as("half %04x", bits).isEqualTo(bits);
			}
		}
	}

	@Test
	void floatToHalfPicksTheNearestHalfWithTiesToEven() {
		SplittableRandom random = new SplittableRandom(20240607);
		for (int i = 0; i < 300_000; i++) {
			// Exponents concentrated on the half range, including its subnormals.
			float value = Math.scalb((float) random.nextDouble(1, 2), random.nextInt(-28, 18))
					* (random.nextBoolean() ? 1 : -1);
			checkNearestHalf(value);
		}
		// Every 331st float across the subnormal-result range, where rounding is
		// trickiest.
		for (int bits = 0x33000000 - 4096; bits <= 0x38800000 + 4096; bits += 331) {
			checkNearestHalf(Float.intBitsToFloat(bits));
		}
	}

	@Test
	void floatToBfloat16MatchesHandComputedBits() {
		assertBfloat16(0f, 0x0000);
		assertBfloat16(-0f, 0x8000);
		assertBfloat16(1f, 0x3f80);
		assertBfloat16(-3f, 0xc040);
		// 0.1f is 0x3dcccccd: the dropped 0xcccd exceeds half a unit, so it rounds up.
		assertBfloat16(0.1f, 0x3dcd);
		assertBfloat16(Float.MIN_NORMAL, 0x0080);
		assertBfloat16(Float.intBitsToFloat(0x00010000), 0x0001);
		assertBfloat16(Float.intBitsToFloat(0x7f7f0000), 0x7f7f);
		assertBfloat16(Float.POSITIVE_INFINITY, 0x7f80);
		assertBfloat16(Float.NEGATIVE_INFINITY, 0xff80);
		assertBfloat16(Float.NaN, 0x7fc0);
		// A NaN whose payload sits only in the dropped bits must not turn into infinity.
		assertBfloat16(Float.intBitsToFloat(0x7f800001), 0x7fc0);
		assertBfloat16(Float.intBitsToFloat(0xff800001), 0xffc0);
	}

	@Test
	void floatToBfloat16RoundsTiesToEven() {
		// 1 + 2^-8 is 0x3f808000: halfway between 0x3f80 (even) and 0x3f81.
		assertBfloat16(1f + 0x1p-8f, 0x3f80);
		// 1 + 3 * 2^-8 is 0x3f818000: halfway between 0x3f81 and 0x3f82 (even).
		assertBfloat16(1f + 3 * 0x1p-8f, 0x3f82);
		assertBfloat16(Math.nextUp(1f + 0x1p-8f), 0x3f81);
		assertBfloat16(Float.intBitsToFloat(0x00008000), 0x0000);
		assertBfloat16(Float.intBitsToFloat(0x00018000), 0x0002);
		assertBfloat16(Float.MIN_VALUE, 0x0000);
		// Halfway between the largest bfloat16 (odd 0x7f7f) and 2^128: overflows.
		assertBfloat16(Float.intBitsToFloat(0x7f7f8000), 0x7f80);
		assertBfloat16(Float.intBitsToFloat(0x7f7f7fff), 0x7f7f);
		assertBfloat16(Float.MAX_VALUE, 0x7f80);
		assertBfloat16(-Float.MAX_VALUE, 0xff80);
	}

	@Test
	void everyBfloat16SurvivesARoundTripThroughFloat() {
		for (int bits = 0; bits <= 0xffff; bits++) {
			float widened = HalfFloats.bfloat16ToFloat((short) bits);
			assertThat(Float.floatToRawIntBits(widened)).isEqualTo(bits << 16);
			int back = HalfFloats.floatToBfloat16(widened) & 0xffff;
			boolean nan = (bits & 0x7f80) == 0x7f80 && (bits & 0x007f) != 0;
			assertThat(back).as("bfloat16 %04x", bits).isEqualTo(nan ? bits | 0x0040 : bits);
		}
	}

	@Test
	void floatToBfloat16PicksTheNearestWithTiesToEven() {
		SplittableRandom random = new SplittableRandom(7);
		for (int i = 0; i < 300_000; i++) {
			int bits = random.nextInt();
			float value = Float.intBitsToFloat(bits);
			if (Float.isNaN(value)) {
				continue;
			}
			// Force an exact tie in a quarter of the cases; random bits almost never hit
			// one.
			if ((i & 3) == 0 && (bits & 0x7f800000) != 0x7f800000) {
				value = Float.intBitsToFloat((bits & 0xffff0000) | 0x8000);
			}
			int result = HalfFloats.floatToBfloat16(value) & 0xffff;
			int magnitude = Float.floatToRawIntBits(Math.abs(value));
			if (magnitude >= 0x7f7f8000) {
				assertThat(result & 0x7fff).isEqualTo(0x7f80);
				continue;
			}
			checkNearest(value, result & 0x7fff, 0x7f7f, HalfFloats::bfloat16ToFloat);
		}
	}

	private static void checkNearestHalf(float value) {
		int result = HalfFloats.floatToHalf(value) & 0xffff;
		assertThat(result & 0x8000).as("sign of %s", value)
			.isEqualTo((Float.floatToRawIntBits(value) < 0) ? 0x8000 : 0);
		if (Math.abs(value) >= 65520f) {
			assertThat(result & 0x7fff).as("%s overflows", value).isEqualTo(0x7c00);
			return;
		}
		checkNearest(value, result & 0x7fff, 0x7bff, HalfFloats::halfToFloat);
	}

	/**
	 * The magnitude chosen must be no farther from the input than either neighbouring
	 * magnitude, and on a tie it must be even. Distances in double are exact here.
	 */
	private static void checkNearest(float value, int magnitude, int largestFinite, Widener widen) {
		double target = Math.abs((double) value);
		double chosen = Math.abs(target - widen.widen((short) magnitude));
		for (int neighbour : new int[] { magnitude - 1, magnitude + 1 }) {
			if (neighbour < 0 || neighbour > largestFinite) {
				continue;
			}
			double other = Math.abs(target - widen.widen((short) neighbour));
			assertThat(chosen).as("%s -> %04x vs %04x", value, magnitude, neighbour).isLessThanOrEqualTo(other);
			if (chosen == other) {
				assertThat(magnitude & 1).as("tie for %s must be even", value).isZero();
			}
		}
	}

	private static boolean isHalfNaN(int bits) {
		return (bits & 0x7c00) == 0x7c00 && (bits & 0x03ff) != 0;
	}

	private static void assertHalf(float value, int expectedBits) {
		assertThat(HalfFloats.floatToHalf(value) & 0xffff)
			.as("half of %s (%08x)", value, Float.floatToRawIntBits(value))
			.isEqualTo(expectedBits);
	}

	private static void assertBfloat16(float value, int expectedBits) {
		assertThat(HalfFloats.floatToBfloat16(value) & 0xffff)
			.as("bfloat16 of %s (%08x)", value, Float.floatToRawIntBits(value))
			.isEqualTo(expectedBits);
	}

	@FunctionalInterface
	private interface Widener {

		float widen(short bits);

	}

}
