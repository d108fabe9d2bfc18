package ai.phreg.api;

import ai.phreg.system.PhregProperties;
import org.apache.tomcat.util.buf.EncodedSolidusHandling;
import org.springdoc.core.customizers.OpenApiCustomizer;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;

/** The API's filters, JSON settings and the completion of its OpenAPI description. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PhregProperties.class)
@Import(StrictJsonConfiguration.class)
class ApiConfiguration {

	@Bean
	FilterRegistrationBean<ApiKeyFilter> apiKeyFilter(PhregProperties properties,
			@Value("${server.address:}") String serverAddress, JsonMapper json) {
		FilterRegistrationBean<ApiKeyFilter> registration = new FilterRegistrationBean<>(
				new ApiKeyFilter(properties.apiKey(), serverAddress, json));
		registration.addUrlPatterns("/api/*", "/actuator/*");
		return registration;
	}

	/**
	 * Tomcat answers a path with an encoded slash or backslash ({@code %2F}, {@code %5C})
	 * with an HTML error page of its own before the application sees it. Passed through
	 * encoded, such a path reaches Spring MVC, which decodes it within one path segment:
	 * it cannot change which endpoint matches, and the artifact controller refuses names
	 * that would leave a job's folder with a problem like any other.
	 */
	@Bean
	TomcatConnectorCustomizer encodedSlashesReachTheApplication() {
		return (connector) -> {
			connector.setEncodedSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
			connector.setEncodedReverseSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
		};
	}

	@Bean
	OpenApiCustomizer problemResponsesInTheApiDescription() {
		return new ApiDocumentation();
	}

	@Bean
	FilterRegistrationBean<RequestBodyLimitFilter> requestBodyLimitFilter(PhregProperties properties, JsonMapper json) {
		FilterRegistrationBean<RequestBodyLimitFilter> registration = new FilterRegistrationBean<>(
				new RequestBodyLimitFilter(properties.maxRequestBody(), json));
		// Before anything reads the body.
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		return registration;
	}

}
