package ai.phreg.job;

import java.lang.management.ManagementFactory;

import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;

/**
 * The {@code targets} step of {@code distillJob}: a partition step over image shards
 * ({@link TargetsPartitioner}, {@code phreg.targets.grid-size} shards), each run by the
 * {@code targetsWorker} step ({@link TargetsTasklet}). In the default local mode a
 * {@code TaskExecutorPartitionHandler} runs the shards on {@code phreg.targets.threads}
 * threads of this process; in remote mode ({@link RemoteTargetsConfiguration}) workers
 * run them. Spring Batch records each shard as a step execution of its own, so a restart
 * re-runs only the shards that did not complete.
 */
@Configuration(proxyBeanMethods = false)
class TargetsStepConfiguration {

	static final String WORKER_STEP = "targetsWorker";

	/**
	 * How this process appears in the shards' execution contexts: host and process id.
	 */
	static final String WORKER_NAME = ManagementFactory.getRuntimeMXBean().getName();

	@Bean
	@StepScope
	TargetsPartitioner targetsPartitioner(@Value(DistillJobConfiguration.JOB_ID) String jobId, JobInputs inputs) {
		return new TargetsPartitioner(jobId, inputs);
	}

	@Bean
	@StepScope
	TargetsTasklet targetsTasklet(@Value(DistillJobConfiguration.JOB_ID) String jobId, RunningJobs running,
			TargetPrefills prefills, @Value("#{stepExecutionContext['" + TargetsPartitioner.FROM + "']}") int from,
			@Value("#{stepExecutionContext['" + TargetsPartitioner.TO + "']}") int to) {
		return new TargetsTasklet(jobId, running, prefills, from, to, WORKER_NAME);
	}

	/** The shard step as this process runs it when it is no remote worker. */
	@Bean
	@ConditionalOnProperty(name = "phreg.targets.worker", havingValue = "false", matchIfMissing = true)
	Step targetsWorker(JobRepository jobRepository, TargetsTasklet targetsTasklet) {
		return new StepBuilder(WORKER_STEP, jobRepository).tasklet(targetsTasklet, new ResourcelessTransactionManager())
			.build();
	}

	/**
	 * @param gridSize the most shards a job's images are split into
	 * @param threads shards computed at once in this process: one per device slot, or per
	 * group of CPU cores that one libtorch pool should own
	 */
	@Bean
	@ConditionalOnProperty(name = "phreg.targets.mode", havingValue = "local", matchIfMissing = true)
	Step targets(JobRepository jobRepository, Step targetsWorker, TargetsPartitioner targetsPartitioner,
			TargetPrefills prefills, @Value("${phreg.targets.grid-size:8}") int gridSize,
			@Value("${phreg.targets.threads:1}") int threads) {
		SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor("phreg-targets-");
		executor.setConcurrencyLimit(threads);
		return new StepBuilder(JobPhase.TARGETS.stepName(), jobRepository).partitioner(WORKER_STEP, targetsPartitioner)
			.step(targetsWorker)
			.gridSize(gridSize)
			.taskExecutor(executor)
			.listener(new StepExecutionListener() {
				@Override
				public ExitStatus afterStep(StepExecution stepExecution) {
					prefills.close(stepExecution.getJobExecution().getJobParameters().getString(JobIds.PARAMETER));
					return null;
				}
			})
			.build();
	}

}
