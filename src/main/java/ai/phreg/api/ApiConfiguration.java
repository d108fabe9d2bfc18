package ai.phreg.api;

import ai.phreg.system.PhregProperties;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The API's filter and JSON settings. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PhregProperties.class)
class ApiConfiguration {

	@Bean
	FilterRegistrationBean<ApiKeyFilter> apiKeyFilter(PhregProperties properties,
			@Value("${server.address:}") String serverAddress, JsonMapper json) {
		FilterRegistrationBean<ApiKeyFilter> registration = new FilterRegistrationBean<>(
				new ApiKeyFilter(properties.apiKey(), serverAddress, json));
		registration.addUrlPatterns("/api/*");
		return registration;
	}

	/**
	 * Makes a misspelt option in a job request an error rather than silently running with
	 * the default. Spring Boot turns this Jackson default off for its shared mapper; it
	 * is back on for every reader of that mapper, which in this service means request
	 * bodies.
	 */
	@Bean
	JsonMapperBuilderCustomizer failOnUnknownProperties() {
		return (builder) -> builder.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
	}

}
