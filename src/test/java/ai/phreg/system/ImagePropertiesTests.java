package ai.phreg.system;

import java.util.Map;

import ai.phreg.image.ImageLimits;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The image limits come from {@code phreg.images.*}, with defaults. */
class ImagePropertiesTests {

	@Test
	void withoutSettingsTheDefaultLimitsApply() {
		assertThat(bind(Map.of()).limits()).isEqualTo(ImageLimits.DEFAULT);
	}

	@Test
	void thePixelBudgetAndAspectRatioAreSettable() {
		ImageProperties properties = bind(
				Map.of("phreg.images.max-pixels", "1000000", "phreg.images.max-aspect-ratio", "4"));

		assertThat(properties.limits()).isEqualTo(new ImageLimits(1_000_000, 4));
		assertThat(properties.limits().refusal(1001, 1000)).contains("over the limit of 1.0");
		assertThat(properties.limits().refusal(500, 100)).contains("more than 4 times longer than wide");
	}

	@Test
	void nonsenseLimitsStopTheStartWithTheSettingNamed() {
		assertThatExceptionOfType(BindException.class).isThrownBy(() -> bind(Map.of("phreg.images.max-pixels", "0")))
			.havingRootCause()
			.withMessageContaining("phreg.images");
	}

	private static ImageProperties bind(Map<String, String> settings) {
		return new Binder(new MapConfigurationPropertySource(settings)).bindOrCreate("phreg.images",
				ImageProperties.class);
	}

}
