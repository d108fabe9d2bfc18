package ai.phreg.system;

import ai.phreg.job.JobFolders;
import ai.phreg.storage.PathPolicy;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityScheme;

import org.springframework.boot.batch.autoconfigure.BatchTaskExecutor;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * Service-wide beans: the bound {@link PhregProperties}, the {@link PathPolicy} that
 * guards user-named inputs, the job folders, asynchronous job launching, scheduling, and
 * the description of the HTTP API served at {@code /v3/api-docs}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ PhregProperties.class, ImageProperties.class })
@EnableScheduling
public class PhregConfiguration {

	/** The name of the API key scheme in the OpenAPI description. */
	public static final String API_KEY_SCHEME = "apiKey";

	@Bean
	PathPolicy pathPolicy(PhregProperties properties) {
		return new PathPolicy(properties.allowedRoots());
	}

	@Bean
	JobFolders jobFolders(PhregProperties properties) {
		return new JobFolders(properties.storageRoot());
	}

	/**
	 * Jobs run on threads of their own, so a POST returns at once; the dispatcher, not
	 * this executor, limits how many run per device.
	 */
	@Bean
	@BatchTaskExecutor
	TaskExecutor batchTaskExecutor() {
		return new SimpleAsyncTaskExecutor("distill-");
	}

	@Bean
	OpenAPI phregOpenApi() {
		return new OpenAPI()
			.info(new Info().title("phreg")
				.version("v1")
				.description("Retrofits register tokens into pretrained Vision Transformers (PH-Reg): "
						+ "submit a distillation job, follow it, stop or restart it, download its checkpoints. "
						+ "Requests that change something need the X-API-Key header; reading is open."))
			.components(new Components().addSecuritySchemes(API_KEY_SCHEME,
					new SecurityScheme().type(SecurityScheme.Type.APIKEY)
						.in(SecurityScheme.In.HEADER)
						.name("X-API-Key")));
	}

}
