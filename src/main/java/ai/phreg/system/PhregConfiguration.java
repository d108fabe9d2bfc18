package ai.phreg.system;

import ai.phreg.storage.JobFolders;
import org.springframework.boot.batch.autoconfigure.BatchTaskExecutor;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The service's infrastructure: settings, job folders, asynchronous job launching,
 * scheduling.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PhregProperties.class)
@EnableScheduling
class PhregConfiguration {

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

}
