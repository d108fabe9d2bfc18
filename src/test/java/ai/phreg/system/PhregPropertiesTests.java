package ai.phreg.system;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.management.OperatingSystemMXBean;
import org.junit.jupiter.api.Test;
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

	@Test
	void theKubernetesExampleSecretsKeyStopsTheStart() throws IOException {
		Matcher key = Pattern.compile("(?m)^\\s+api-key:\\s*(\\S+)\\s*$")
			.matcher(Files.readString(Path.of("k8s/secret.yaml")));
		assertThat(key.find()).isTrue();

		this.contexts.withPropertyValues("phreg.api-key=" + key.group(1))
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("phreg.api-key is a placeholder from the examples"));
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

	@Test
	void theMemoryLimitDefaultsToFourFifthsOfThePhysicalMemory() {
		this.contexts.run((context) -> {
			long physical = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
			assertThat(context.getBean(PhregProperties.class).memoryLimit().toBytes()).isEqualTo(physical / 5 * 4);
		});
	}

	@Test
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
