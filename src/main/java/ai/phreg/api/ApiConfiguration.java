package ai.phreg.api;

import ai.phreg.system.PhregProperties;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The API's filter and JSON settings. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PhregProperties.class)
@Import(StrictJsonConfiguration.class)
class ApiConfiguration {

	@Bean
	FilterRegistrationBean<ApiKeyFilter> apiKeyFilter(PhregProperties properties,
			@Value("${server.address:}") String serverAddress, JsonMapper json) {
		FilterRegistrationBean<ApiKeyFilter> registration = new FilterRegistrationBean<>(
				new ApiKeyFilter(properties.apiKey(), serverAddress, json));
		registration.addUrlPatterns("/api/*");
		return registration;
	}

}
