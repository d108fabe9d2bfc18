package ai.phreg.system;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

class PhregPropertiesTests {

	private final ApplicationContextRunner contexts = new ApplicationContextRunner().withUserConfiguration(Bound.class);

	@ParameterizedTest
	@ValueSource(strings = { "change-me", "changeme", "CHANGE-ME", "secret", "password", "local-dev-key" })
	void theExamplesPlaceholderKeysStopTheStart(String key) {
		this.contexts.withPropertyValues("phreg.api-key=" + key)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("phreg.api-key is a placeholder from the examples")
				.hasMessageContaining("openssl rand -hex 32"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "a", "0123456789abcde" })
	void keysShorterThan16CharactersStopTheStart(String key) {
		this.contexts.withPropertyValues("phreg.api-key=" + key)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("phreg.api-key is shorter than 16 characters"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "0123456789abcdef", "" })
	void aLongEnoughKeyOrNoneStarts(String key) {
		this.contexts.withPropertyValues("phreg.api-key=" + key).run((context) -> assertThat(context).hasNotFailed());
	}

	@org.junit.jupiter.api.Test
	void theMemoryLimitDefaultsToFourFifthsOfThePhysicalMemory() {
		this.contexts.run((context) -> {
			long physical = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
				.getOperatingSystemMXBean()).getTotalMemorySize();
			assertThat(context.getBean(PhregProperties.class).memoryLimit().toBytes()).isEqualTo(physical / 5 * 4);
		});
	}

	@org.junit.jupiter.api.Test
	void limitsAreConfigurable() {
		this.contexts.withPropertyValues("phreg.memory-limit=3GB", "phreg.max-request-body=10KB").run((context) -> {
			PhregProperties properties = context.getBean(PhregProperties.class);
			assertThat(properties.memoryLimit()).isEqualTo(DataSize.ofGigabytes(3));
			assertThat(properties.maxRequestBody()).isEqualTo(DataSize.ofKilobytes(10));
		});
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(PhregProperties.class)
	static class Bound {

	}

}
