package ai.phreg.distill;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThat;

class TeacherPrecisionTests {

	@Test
	void spellingsRoundTripAndUnknownOnesAreNamed() {
		for (TeacherPrecision precision : TeacherPrecision.values()) {
			assertThat(TeacherPrecision.of(precision.spelling())).isEqualTo(precision);
		}
		assertThatIllegalArgumentException().isThrownBy(() -> TeacherPrecision.of("int8"))
			.withMessageContaining("'int8'")
			.withMessageContaining("fp32, bf16, fp16");
	}

	@Test
	void float32RunsAnywhere() {
		assertThatCode(() -> TeacherPrecision.FP32.requireSupported(Device.cpu())).doesNotThrowAnyException();
		assertThatCode(() -> TeacherPrecision.FP32.requireSupported(Device.gpu(0))).doesNotThrowAnyException();
	}

	@Test
	void float16IsRefusedOffCudaByName() {
		assertThatIllegalArgumentException().isThrownBy(() -> TeacherPrecision.FP16.requireSupported(Device.cpu()))
			.withMessageContaining("fp16 needs a CUDA device")
			.withMessageContaining("cpu()");
		assertThatCode(() -> TeacherPrecision.FP16.requireSupported(Device.gpu(1))).doesNotThrowAnyException();
	}

	@Test
	void bfloat16IsRefusedWithTheEngineAsReason() {
		for (Device device : new Device[] { Device.cpu(), Device.gpu(0) }) {
			assertThatIllegalArgumentException().isThrownBy(() -> TeacherPrecision.BF16.requireSupported(device))
				.withMessageContaining("bf16 is not available")
				.withMessageContaining("DJL");
		}
	}

}
