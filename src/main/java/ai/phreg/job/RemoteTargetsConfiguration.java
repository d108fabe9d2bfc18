package ai.phreg.job;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.AmqpTemplate;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;
import org.springframework.batch.integration.config.annotation.EnableBatchIntegration;
import org.springframework.batch.integration.partition.RemotePartitioningManagerStepBuilderFactory;
import org.springframework.batch.integration.partition.RemotePartitioningWorkerStepBuilderFactory;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.micrometer.metrics.autoconfigure.MeterRegistryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.amqp.dsl.Amqp;
import org.springframework.integration.channel.DirectChannel;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.messaging.MessageHeaders;
import org.springframework.util.MimeTypeUtils;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Remote partitioning of the {@code targets} step over RabbitMQ (Spring Batch
 * Integration, polling variant). The manager ({@code phreg.targets.mode=remote}) sends
 * one request per shard to the durable queue {@value #REQUESTS} and polls the shared job
 * repository until every shard's step execution has ended. Workers
 * ({@code phreg.targets.worker=true}, the {@code worker} profile) take one request at a
 * time and acknowledge it only when the shard has ended, so a worker killed mid-shard
 * leaves its request to RabbitMQ, which hands it to another worker, and the shard runs
 * again (its writes are idempotent). A request that cannot be read, or names no step
 * execution, is rejected to {@value #DEAD_LETTERS} and the worker goes on.
 * <p>
 * Polling rather than aggregating replies: the job repository already holds each shard's
 * outcome, so a manager restarted while workers run loses nothing, and no reply queue has
 * to survive it.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${phreg.targets.mode:local}' == 'remote' or '${phreg.targets.worker:false}' == 'true'")
@EnableBatchIntegration
class RemoteTargetsConfiguration {

	static final String REQUESTS = "phreg.targets.requests";

	static final String DEAD_LETTERS = "phreg.targets.requests.dlq";

	private static final String STEP_NAME = "stepName";

	private static final String STEP_EXECUTION_ID = "stepExecutionId";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	/** Rejected requests are dead-lettered here through the default exchange. */
	@Bean
	Queue targetRequestsQueue() {
		return QueueBuilder.durable(REQUESTS).deadLetterExchange("").deadLetterRoutingKey(DEAD_LETTERS).build();
	}

	@Bean
	Queue targetRequestsDeadLetters() {
		return QueueBuilder.durable(DEAD_LETTERS).build();
	}

	/** Requests waiting for a worker, as {@code phreg.targets.queue.depth}. */
	@Bean
	Gauge targetRequestsDepth(AmqpAdmin admin, MeterRegistry meters) {
		return Gauge.builder("phreg.targets.queue.depth", admin, RemoteTargetsConfiguration::depth)
			.description("targets shard requests waiting in RabbitMQ for a worker")
			.register(meters);
	}

	private static double depth(AmqpAdmin admin) {
		QueueInformation queue = admin.getQueueInfo(REQUESTS);
		return (queue != null) ? queue.getMessageCount() : Double.NaN;
	}

	/**
	 * @param pollInterval how often the manager reads the shards' states
	 * @param timeout how long the manager waits for all shards, after which the step
	 * fails and a restart re-runs the unfinished ones
	 */
	@Bean
	@ConditionalOnProperty(name = "phreg.targets.mode", havingValue = "remote")
	Step targets(RemotePartitioningManagerStepBuilderFactory managers, TargetsPartitioner targetsPartitioner,
			@Value("${phreg.targets.grid-size:8}") int gridSize,
			@Value("${phreg.targets.poll-interval:2s}") java.time.Duration pollInterval,
			@Value("${phreg.targets.timeout:12h}") java.time.Duration timeout, DirectChannel targetRequests) {
		return managers.get(JobPhase.TARGETS.stepName())
			.partitioner(TargetsStepConfiguration.WORKER_STEP, targetsPartitioner)
			.gridSize(gridSize)
			.outputChannel(targetRequests)
			.pollInterval(pollInterval.toMillis())
			.timeout(timeout.toMillis())
			.build();
	}

	@Bean
	DirectChannel targetRequests() {
		return new DirectChannel();
	}

	/** The manager's requests, as JSON, to the request queue. */
	@Bean
	@ConditionalOnProperty(name = "phreg.targets.mode", havingValue = "remote")
	IntegrationFlow targetRequestsToRabbit(DirectChannel targetRequests, AmqpTemplate amqp) {
		return IntegrationFlow.from(targetRequests)
			.transform(StepExecutionRequest.class, RemoteTargetsConfiguration::toJson)
			.enrichHeaders(Map.of(MessageHeaders.CONTENT_TYPE, MimeTypeUtils.APPLICATION_JSON_VALUE))
			.handle(Amqp.outboundAdapter(amqp).routingKey(REQUESTS))
			.get();
	}

	@Bean
	DirectChannel workerRequests() {
		return new DirectChannel();
	}

	/**
	 * The worker's consumer: one unacknowledged request at a time, rejected without
	 * requeueing (to the dead letters) when it fails before its shard could start.
	 */
	@Bean
	@ConditionalOnProperty(name = "phreg.targets.worker", havingValue = "true")
	IntegrationFlow targetRequestsFromRabbit(ConnectionFactory connections, DirectChannel workerRequests) {
		return IntegrationFlow
			.from(Amqp.inboundAdapter(connections, REQUESTS)
				.configureContainer((container) -> container.prefetchCount(1).defaultRequeueRejected(false)))
			.transform(Object.class, RemoteTargetsConfiguration::fromJson)
			.channel(workerRequests)
			.get();
	}

	/** The shard step as a remote worker runs it, fed by the worker's consumer. */
	@Bean
	@ConditionalOnProperty(name = "phreg.targets.worker", havingValue = "true")
	Step targetsWorker(RemotePartitioningWorkerStepBuilderFactory workers, DirectChannel workerRequests,
			TargetsTasklet targetsTasklet) {
		return workers.get(TargetsStepConfiguration.WORKER_STEP)
			.inputChannel(workerRequests)
			.tasklet(targetsTasklet, new ResourcelessTransactionManager())
			.build();
	}

	/**
	 * A worker's meters carry its name ({@code pid@host}) as the tag {@code worker}, so
	 * several workers, on one host or many, are told apart in one Prometheus.
	 */
	@Bean
	@ConditionalOnProperty(name = "phreg.targets.worker", havingValue = "true")
	MeterRegistryCustomizer<MeterRegistry> workerNameOnMeters() {
		return (registry) -> registry.config().commonTags("worker", TargetsStepConfiguration.WORKER_NAME);
	}

	static String toJson(StepExecutionRequest request) {
		return JSON.createObjectNode()
			.put(STEP_NAME, request.getStepName())
			.put(STEP_EXECUTION_ID, request.getStepExecutionId())
			.toString();
	}

	/**
	 * A request read back; anything else is rejected to the dead letters: a consumer that
	 * threw on it would otherwise see it again forever.
	 */
	static StepExecutionRequest fromJson(Object payload) {
		String text = (payload instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8)
				: String.valueOf(payload);
		try {
			JsonNode node = JSON.readTree(text);
			JsonNode name = node.get(STEP_NAME);
			JsonNode id = node.get(STEP_EXECUTION_ID);
			if (name == null || !name.isString() || !TargetsStepConfiguration.WORKER_STEP.equals(name.asString())
					|| id == null || !id.canConvertToLong()) {
				throw new AmqpRejectAndDontRequeueException("Not a targets shard request: " + abbreviate(text));
			}
			return new StepExecutionRequest(name.asString(), id.asLong());
		}
		catch (JacksonException ex) {
			throw new AmqpRejectAndDontRequeueException("Not a targets shard request: " + abbreviate(text), ex);
		}
	}

	private static String abbreviate(String text) {
		return (text.length() <= 200) ? text : text.substring(0, 200) + "...";
	}

}
