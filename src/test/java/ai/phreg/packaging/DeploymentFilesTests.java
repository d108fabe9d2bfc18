package ai.phreg.packaging;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the packaging files (Dockerfile, docker-compose.yml, deploy/, k8s/) by parsing
 * them: nothing here can be built or run without a Docker engine or a cluster, so the
 * references between files (names, ports, paths, users, metric names) are what can go
 * wrong unseen.
 */
class DeploymentFilesTests {

	private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();

	/** Every metric name a dashboard query may use; a misspelt one must fail the test. */
	private static final Set<String> METRICS = Set.of("phreg_distill_loss", "phreg_distill_step",
			"phreg_distill_steps_total", "phreg_distill_images_total", "phreg_distill_images_skipped_total",
			"phreg_distill_steps_nonfinite_total", "phreg_teacher_loads_total", "phreg_process_resident_memory_bytes",
			"phreg_distill_progress_ratio", "phreg_distill_images_per_second", "phreg_distill_learning_rate",
			"phreg_distill_teacher_seconds_count", "phreg_distill_teacher_seconds_sum",
			"phreg_distill_teacher_seconds_max", "phreg_distill_student_seconds_count",
			"phreg_distill_student_seconds_sum", "phreg_distill_student_seconds_max", "phreg_queue_length",
			"phreg_jobs", "spring_batch_job_seconds_count", "spring_batch_job_seconds_sum",
			"spring_batch_job_seconds_max", "spring_batch_step_seconds_count", "spring_batch_step_seconds_sum",
			"spring_batch_step_seconds_max", "process_cpu_usage", "jvm_memory_used_bytes", "jvm_memory_committed_bytes",
			"jvm_memory_max_bytes", "jvm_gc_pause_seconds_count", "jvm_gc_pause_seconds_sum",
			"jvm_gc_pause_seconds_max", "jvm_threads_live_threads", "jvm_buffer_memory_used_bytes",
			"jvm_classes_loaded_classes", "phreg_targets_images_total", "phreg_targets_images_rate",
			"phreg_targets_partitions_total", "phreg_targets_queue_depth", "phreg_targets_partition_time_seconds_sum",
			"phreg_targets_partition_time_seconds_count", "phreg_targets_partition_time_seconds_max");

	/** The service's own metrics, each of which the dashboard must show. */
	private static final Set<String> PHREG_METRICS = Set.of("phreg_distill_loss", "phreg_distill_step",
			"phreg_distill_steps_total", "phreg_distill_images_total", "phreg_distill_images_skipped_total",
			"phreg_distill_steps_nonfinite_total", "phreg_teacher_loads_total", "phreg_process_resident_memory_bytes",
			"phreg_distill_progress_ratio", "phreg_distill_images_per_second", "phreg_distill_learning_rate",
			"phreg_distill_teacher_seconds_sum", "phreg_distill_teacher_seconds_count",
			"phreg_distill_student_seconds_sum", "phreg_distill_student_seconds_count", "phreg_queue_length",
			"phreg_jobs", "phreg_targets_images_total", "phreg_targets_images_rate", "phreg_targets_partitions_total",
			"phreg_targets_queue_depth", "phreg_targets_partition_time_seconds_sum",
			"phreg_targets_partition_time_seconds_count");

	private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
			"group_right", "bool", "and", "or", "unless", "offset", "inf", "nan");

	@Test
	void everyKubernetesObjectHasApiVersionKindAndName() throws IOException {
		List<Path> files = yamlFiles(ROOT.resolve("k8s"));
		assertThat(files).isNotEmpty();
		for (Path file : files) {
			List<Map<String, Object>> documents = documents(file);
			assertThat(documents).as(file.toString()).isNotEmpty();
			for (Map<String, Object> document : documents) {
				assertThat(text(document, "apiVersion")).as(file + ": apiVersion").isNotBlank();
				assertThat(text(document, "kind")).as(file + ": kind").isNotBlank();
				if (!isKustomize(document)) {
					assertThat(text(map(document, "metadata"), "name")).as(file + ": metadata.name").isNotBlank();
				}
			}
		}
	}

	@Test
	void kustomizationListsEveryManifestAndTheCudaComponentItsPatch() throws IOException {
		Path k8s = ROOT.resolve("k8s");
		Map<String, Object> kustomization = single(k8s.resolve("kustomization.yaml"));
		Set<String> manifests;
		try (Stream<Path> list = Files.list(k8s)) {
			manifests = list.filter((file) -> file.toString().endsWith(".yaml"))
				.map((file) -> file.getFileName().toString())
				.filter((name) -> !name.equals("kustomization.yaml"))
				.collect(Collectors.toSet());
		}
		assertThat(strings(kustomization.get("resources"))).containsExactlyInAnyOrderElementsOf(manifests);

		Path cuda = k8s.resolve("overlays/cuda");
		Map<String, Object> component = single(cuda.resolve("kustomization.yaml"));
		assertThat(text(component, "kind")).isEqualTo("Component");
		for (Object patch : list(component, "patches")) {
			assertThat(cuda.resolve(text(asMap(patch), "path"))).isRegularFile();
		}
		// The images transformer matches by name without tag: it must name the base
		// image.
		String baseImage = text(container(deployment()), "image").replaceFirst(":[^:/]*$", "");
		assertThat(list(component, "images")).extracting((image) -> asMap(image).get("name")).containsOnly(baseImage);
	}

	@Test
	void deploymentRunsTheImageOnPort8080WithProbesAndOneReplicaAtATime() throws IOException {
		Map<String, Object> deployment = deployment();
		Map<String, Object> spec = map(deployment, "spec");
		Map<String, Object> container = container(deployment);

		assertThat(spec.get("replicas")).isEqualTo(1);
		assertThat(text(map(spec, "strategy"), "type")).isEqualTo("Recreate");
		assertThat(text(container, "image")).isNotBlank();
		assertThat(containerPorts(container)).containsValue(8080);
		assertThat(probePath(container, "livenessProbe")).isEqualTo("/actuator/health/liveness");
		assertThat(probePath(container, "readinessProbe")).isEqualTo("/actuator/health/readiness");
		assertThat(probePath(container, "startupProbe")).startsWith("/actuator/health");
		for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
			assertThat(resolvePort(container, map(map(container, probe), "httpGet").get("port"))).as(probe)
				.isEqualTo(8080);
		}
		assertThat(map(map(spec, "selector"), "matchLabels").entrySet()).isSubsetOf(podLabels(deployment).entrySet());
		assertThat(map(map(container, "resources"), "limits")).containsKey("memory");
	}

	@Test
	void deploymentRunsAsTheImageUserOnAReadOnlyRoot() throws IOException {
		Map<String, Object> deployment = deployment();
		Map<String, Object> pod = podSpec(deployment);
		Map<String, Object> container = container(deployment);
		Map<String, Object> podSecurity = map(pod, "securityContext");
		Map<String, Object> containerSecurity = map(container, "securityContext");

		assertThat(podSecurity.get("runAsNonRoot")).isEqualTo(true);
		assertThat(podSecurity.get("runAsUser")).isEqualTo(dockerfileUid());
		assertThat(containerSecurity.get("allowPrivilegeEscalation")).isEqualTo(false);
		assertThat(containerSecurity.get("readOnlyRootFilesystem")).isEqualTo(true);
		// A read-only root needs writable scratch for java.io.tmpdir and DJL's own cache.
		Map<String, String> mounts = mounts(container);
		Set<String> emptyDirs = list(pod, "volumes").stream()
			.map(DeploymentFilesTests::asMap)
			.filter((volume) -> volume.containsKey("emptyDir"))
			.map((volume) -> text(volume, "name"))
			.collect(Collectors.toSet());
		List<String> writable = mounts.entrySet()
			.stream()
			.filter((mount) -> emptyDirs.contains(mount.getValue()))
			.map(Map.Entry::getKey)
			.toList();
		assertThat(writable).contains("/tmp");
		String djlCache = dockerfileEnv().get("DJL_CACHE_DIR");
		assertThat(writable).anySatisfy((path) -> assertThat(djlCache).startsWith(path + "/"));
	}

	@Test
	void deploymentTakesItsSettingsFromTheConfigMapAndTheApiKeyFromTheSecret() throws IOException {
		Map<String, Object> container = container(deployment());
		Map<String, Object> configMap = single(ROOT.resolve("k8s/configmap.yaml"));
		Map<String, Object> secret = single(ROOT.resolve("k8s/secret.yaml"));

		assertThat(list(container, "envFrom")).extracting((source) -> text(map(asMap(source), "configMapRef"), "name"))
			.contains(text(map(configMap, "metadata"), "name"));
		Map<String, Object> data = map(configMap, "data");
		assertThat(data).containsKeys("PHREG_ALLOWED_ROOTS", "PHREG_STORAGE_ROOT", "PHREG_DEVICE_SLOTS",
				"JAVA_TOOL_OPTIONS");
		assertThat(text(data, "JAVA_TOOL_OPTIONS")).contains("-Dai.djl.offline=true").contains("MaxRAMPercentage");
		assertThat(text(data, "PHREG_STORAGE_ROOT")).startsWith("/data/");

		Map<String, Object> apiKey = list(container, "env").stream()
			.map(DeploymentFilesTests::asMap)
			.filter((env) -> "PHREG_API_KEY".equals(env.get("name")))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no PHREG_API_KEY in the container's env"));
		assertThat(apiKey).doesNotContainKey("value");
		Map<String, Object> reference = map(map(apiKey, "valueFrom"), "secretKeyRef");
		assertThat(text(secret, "kind")).isEqualTo("Secret");
		assertThat(text(reference, "name")).isEqualTo(text(map(secret, "metadata"), "name"));
		assertThat(map(secret, "stringData")).containsKey(text(reference, "key"));
	}

	@Test
	void deploymentMountsTheClaimAtDataAndIsScrapedByPrometheus() throws IOException {
		Map<String, Object> deployment = deployment();
		Map<String, Object> claim = single(ROOT.resolve("k8s/pvc.yaml"));
		assertThat(text(claim, "kind")).isEqualTo("PersistentVolumeClaim");
		assertThat(strings(map(claim, "spec").get("accessModes"))).containsExactly("ReadWriteOnce");

		String volume = list(podSpec(deployment), "volumes").stream()
			.map(DeploymentFilesTests::asMap)
			.filter((candidate) -> candidate.containsKey("persistentVolumeClaim"))
			.filter((candidate) -> text(map(candidate, "persistentVolumeClaim"), "claimName")
				.equals(text(map(claim, "metadata"), "name")))
			.map((candidate) -> text(candidate, "name"))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no pod volume uses the claim of pvc.yaml"));
		assertThat(mounts(container(deployment))).containsEntry("/data", volume);

		Map<String, Object> annotations = map(map(map(map(deployment, "spec"), "template"), "metadata"), "annotations");
		assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
			.containsEntry("prometheus.io/port", "8080")
			.containsEntry("prometheus.io/path", "/actuator/prometheus");
	}

	@Test
	void serviceSelectsTheDeploymentsPodsAndTargetsPort8080() throws IOException {
		Map<String, Object> deployment = deployment();
		Map<String, Object> service = single(ROOT.resolve("k8s/service.yaml"));
		Map<String, Object> spec = map(service, "spec");

		assertThat(text(service, "kind")).isEqualTo("Service");
		assertThat(text(spec, "type")).isEqualTo("ClusterIP");
		assertThat(map(spec, "selector")).isNotEmpty();
		assertThat(map(spec, "selector").entrySet()).isSubsetOf(podLabels(deployment).entrySet());
		Map<String, Object> port = asMap(list(spec, "ports").get(0));
		assertThat(port.get("port")).isEqualTo(8080);
		assertThat(resolvePort(container(deployment), port.get("targetPort"))).isEqualTo(8080);
	}

	@Test
	void cudaVariantRequestsAGpuForTheSameContainer() throws IOException {
		Map<String, Object> base = deployment();
		List<Map<String, Object>> patches = new ArrayList<>();
		for (Path file : yamlFiles(ROOT.resolve("k8s/overlays"))) {
			documents(file).stream()
				.filter((document) -> "Deployment".equals(document.get("kind")))
				.forEach(patches::add);
		}
		assertThat(patches).hasSize(1);
		Map<String, Object> patch = patches.get(0);
		// A strategic merge patch only lands on the object and container of the same
		// names.
		assertThat(text(map(patch, "metadata"), "name")).isEqualTo(text(map(base, "metadata"), "name"));
		Map<String, Object> container = container(patch);
		assertThat(text(container, "name")).isEqualTo(text(container(base), "name"));
		assertThat(map(map(container, "resources"), "limits")).containsKey("nvidia.com/gpu");
	}

	@Test
	void composeRunsTheFourServicesWithPostgresAndTheDataVolume() throws IOException {
		Map<String, Object> compose = single(ROOT.resolve("docker-compose.yml"));
		Map<String, Object> services = map(compose, "services");
		assertThat(services).containsKeys("phreg", "postgres", "prometheus", "grafana");

		Map<String, Object> phreg = map(services, "phreg");
		assertThat(text(map(phreg, "build"), "context")).isEqualTo(".");
		assertThat(strings(phreg.get("ports"))).anySatisfy((port) -> assertThat(port).endsWith(":8080"));
		assertThat(strings(phreg.get("volumes"))).anySatisfy((volume) -> assertThat(volume).endsWith(":/data"));
		Map<String, Object> environment = map(phreg, "environment");
		assertThat(environment).containsKeys("PHREG_API_KEY", "PHREG_STORAGE_ROOT", "PHREG_ALLOWED_ROOTS",
				"SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD");
		assertThat(text(environment, "SPRING_DATASOURCE_URL")).startsWith("jdbc:postgresql://postgres:5432/");
		assertThat(text(map(map(phreg, "depends_on"), "postgres"), "condition")).isEqualTo("service_healthy");
		assertThat(map(services, "postgres")).containsKey("healthcheck");
		assertThat(text(map(services, "postgres"), "image")).startsWith("postgres:16");
		assertThat(text(map(map(map(services, "grafana"), "depends_on"), "prometheus"), "condition"))
			.isEqualTo("service_healthy");

		// Every file or folder the stack mounts from this repository exists.
		for (Object service : services.values()) {
			for (String volume : strings(asMap(service).getOrDefault("volumes", List.of()))) {
				if (volume.startsWith("./deploy/")) {
					assertThat(ROOT.resolve(volume.substring(0, volume.indexOf(':')))).as(volume).exists();
				}
			}
		}
	}

	@Test
	void scaleOutAddsRabbitMqAndWorkersOfTheSameImageInTheWorkerProfile() throws IOException {
		Map<String, Object> services = map(single(ROOT.resolve("docker-compose.yml")), "services");
		Map<String, Object> worker = map(services, "phreg-worker");
		assertThat(strings(worker.get("profiles"))).containsExactly("scale-out");
		assertThat(strings(map(services, "rabbitmq").get("profiles"))).containsExactly("scale-out");
		assertThat(text(worker, "image")).isEqualTo(text(map(services, "phreg"), "image"));
		assertThat(text(map(worker, "environment"), "SPRING_PROFILES_ACTIVE")).isEqualTo("worker");
		assertThat(worker).as("scaled with --scale: no fixed ports").doesNotContainKey("ports");
		assertThat(String.join(" ", strings(map(worker, "healthcheck").get("test"))))
			.contains("http://127.0.0.1:8081/actuator/health/readiness");
		assertThat(strings(worker.get("volumes")))
			.anySatisfy((volume) -> assertThat(volume).isEqualTo("phreg-data:/data"));

		Path scaleOut = ROOT.resolve("k8s/scale-out");
		Map<String, Object> component = single(scaleOut.resolve("kustomization.yaml"));
		assertThat(text(component, "kind")).isEqualTo("Component");
		for (String resource : strings(component.get("resources"))) {
			assertThat(scaleOut.resolve(resource)).isRegularFile();
		}
		for (Object patch : list(component, "patches")) {
			assertThat(scaleOut.resolve(text(asMap(patch), "path"))).isRegularFile();
		}
		Map<String, Object> deployment = single(scaleOut.resolve("worker-deployment.yaml"));
		Map<String, Object> container = asMap(
				list(map(map(map(deployment, "spec"), "template"), "spec"), "containers").get(0));
		assertThat(list(container, "env")).map(DeploymentFilesTests::asMap)
			.anySatisfy((variable) -> assertThat(variable).containsEntry("name", "SPRING_PROFILES_ACTIVE")
				.containsEntry("value", "worker"));
		assertThat(list(container, "ports")).map(DeploymentFilesTests::asMap)
			.singleElement()
			.satisfies((port) -> assertThat(port).containsEntry("name", "http").containsEntry("containerPort", 8081));
		for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
			assertThat(text(map(map(container, probe), "httpGet"), "path")).as(probe)
				.startsWith("/actuator/health/" + (probe.equals("readinessProbe") ? "readiness" : "liveness"));
		}
		assertThat(map(map(map(deployment, "spec"), "template"), "metadata").get("annotations"))
			.isEqualTo(Map.of("prometheus.io/scrape", "true", "prometheus.io/port", "8081", "prometheus.io/path",
					"/actuator/prometheus"));
		Map<String, Object> volume = single(scaleOut.resolve("pvc-rwx-patch.yaml"));
		assertThat(strings(map(volume, "spec").get("accessModes"))).containsExactly("ReadWriteMany");
	}

	@Test
	void prometheusScrapesTheActuatorOfPhregAndKeepsTheJobLabel() throws IOException {
		Map<String, Object> config = single(ROOT.resolve("deploy/prometheus/prometheus.yml"));
		Map<String, Object> scrape = list(config, "scrape_configs").stream()
			.map(DeploymentFilesTests::asMap)
			.filter((candidate) -> list(candidate, "static_configs").stream()
				.anyMatch((targets) -> strings(asMap(targets).get("targets")).contains("phreg:8080")))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no scrape config targets phreg:8080"));
		assertThat(text(scrape, "metrics_path")).isEqualTo("/actuator/prometheus");
		assertThat(text(scrape, "scrape_interval")).isEqualTo("5s");
		// The distillation metrics' own "job" label would otherwise become
		// "exported_job".
		assertThat(scrape.get("honor_labels")).isEqualTo(true);
	}

	@Test
	void grafanaProvisionsPrometheusAndTheDashboardFolderComposeMounts() throws IOException {
		for (Path file : yamlFiles(ROOT.resolve("deploy"))) {
			assertThat(documents(file)).as(file.toString()).isNotEmpty();
		}
		Map<String, Object> datasources = single(
				ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml"));
		Map<String, Object> datasource = asMap(list(datasources, "datasources").get(0));
		assertThat(text(datasource, "type")).isEqualTo("prometheus");
		assertThat(text(datasource, "url")).isEqualTo("http://prometheus:9090");

		Map<String, Object> providers = single(ROOT.resolve("deploy/grafana/provisioning/dashboards/phreg.yml"));
		String path = text(map(asMap(list(providers, "providers").get(0)), "options"), "path");
		Map<String, Object> grafana = map(map(single(ROOT.resolve("docker-compose.yml")), "services"), "grafana");
		assertThat(strings(grafana.get("volumes"))).contains("./deploy/grafana/dashboards:" + path + ":ro")
			.contains("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");
	}

	@Test
	void dashboardQueriesOnlyKnownMetricsAndShowsEveryPhregMetric() throws IOException {
		JsonNode dashboard = JsonMapper.builder()
			.build()
			.readTree(ROOT.resolve("deploy/grafana/dashboards/phreg.json"));
		assertThat(dashboard.path("uid").asString("")).isEqualTo("phreg");
		assertThat(dashboard.path("title").asString("")).isEqualTo("phreg");
		assertThat(dashboard.path("schemaVersion").asInt(0)).isGreaterThanOrEqualTo(36);

		// Prometheus keeps "job" for the scrape target: the service's label is phreg_job.
		JsonNode job = null;
		for (JsonNode variable : dashboard.path("templating").path("list").values()) {
			if ("phreg_job".equals(variable.path("name").asString(""))) {
				job = variable;
			}
		}
		assertThat(job).isNotNull();
		String query = job.path("query").isObject() ? job.path("query").path("query").asString("")
				: job.path("query").asString("");
		assertThat(query.replace(" ", "")).isEqualTo("label_values(phreg_distill_step,phreg_job)");

		Set<String> used = new TreeSet<>();
		Set<Integer> ids = new LinkedHashSet<>();
		for (JsonNode panel : dashboard.path("panels").values()) {
			assertThat(ids.add(panel.path("id").asInt())).as("unique panel id").isTrue();
			if ("row".equals(panel.path("type").asString(""))) {
				continue;
			}
			String title = panel.path("title").asString("");
			assertThat(panel.path("targets").values()).as(title).isNotEmpty();
			for (JsonNode target : panel.path("targets").values()) {
				String expr = target.path("expr").asString("");
				Set<String> names = metricNames(expr);
				assertThat(names).as(title + ": " + expr).isNotEmpty();
				assertThat(names).as(title + ": " + expr).isSubsetOf(METRICS);
				used.addAll(names);
			}
		}
		assertThat(used).containsAll(PHREG_METRICS);
	}

	@Test
	void metricNameCheckCatchesATypo() {
		assertThat(metricNames("rate(phreg_distill_teacher_seconds_sum{job=~\"$job\"}[$__rate_interval]) "
				+ "/ sum by (part) (phreg_distill_stepp{part=\"mse\"} > 0.5e-3)"))
			.containsExactlyInAnyOrder("phreg_distill_teacher_seconds_sum", "phreg_distill_stepp");
		assertThat(METRICS).doesNotContain("phreg_distill_stepp");
	}

	@Test
	void dockerfileBuildsInStagesAndRunsAsANonRootUser() throws IOException {
		List<String> instructions = dockerfile();
		assertThat(instructions.stream().filter((line) -> line.startsWith("FROM "))).hasSizeGreaterThanOrEqualTo(2);
		assertThat(instructions).anySatisfy((line) -> assertThat(line).matches("FROM .* AS build"));
		assertThat(dockerfileUid()).isPositive();
		assertThat(instructions).contains("EXPOSE 8080");
		assertThat(instructions).contains("ARG FLAVOR=cpu");
		assertThat(instructions).anySatisfy((line) -> assertThat(line).startsWith("FROM runtime-${FLAVOR}"));
		assertThat(instructions).anySatisfy((line) -> assertThat(line).startsWith("FROM ").contains("runtime-cuda"));
		assertThat(instructions)
			.anySatisfy((line) -> assertThat(line).startsWith("HEALTHCHECK ").contains("/actuator/health/liveness"));
		assertThat(instructions)
			.anySatisfy((line) -> assertThat(line).startsWith("RUN ").contains("java -jar phreg.jar engine"));
		assertThat(instructions)
			.anySatisfy((line) -> assertThat(line).startsWith("RUN ").contains("./mvnw -B -ntp -DskipTests package"));
		assertThat(instructions).anySatisfy((line) -> assertThat(line).startsWith("ENTRYPOINT ").contains("phreg.jar"));
		Map<String, String> env = dockerfileEnv();
		assertThat(env.get("JAVA_TOOL_OPTIONS")).contains("-Dai.djl.offline=true");
		assertThat(env).containsKeys("ENGINE_CACHE_DIR", "DJL_CACHE_DIR");
		// the CPU image preloads MKL's vendor-check answer, built from a file the context
		// holds
		assertThat(env.get("LD_PRELOAD")).endsWith("/libmkl-intel-path.so");
		assertThat(instructions).anySatisfy((line) -> assertThat(line).startsWith("COPY scripts/mkl-intel-path.c "));
		assertThat(ROOT.resolve(".dockerignore")).content().contains("!scripts/mkl-intel-path.c");
		assertThat(ROOT.resolve("scripts/mkl-intel-path.c")).exists();
	}

	@Test
	void dockerfileCudaVariantPointsDjlAtALibtorchItsJniJarSupports() throws IOException {
		Map<String, String> env = dockerfileEnv();
		assertThat(env).containsEntry("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib");
		// DJL extracts its JNI glue for PYTORCH_FLAVOR from pytorch-jni; a flavor the jar
		// lacks would make DJL download it at start-up, which fails offline.
		String flavor = env.get("PYTORCH_FLAVOR");
		assertThat(getClass().getResource("/jnilib/linux-x86_64/" + flavor + "/libdjl_torch.so")).as(flavor)
			.isNotNull();
		Properties jni = new Properties();
		try (InputStream in = getClass().getResourceAsStream("/jnilib/pytorch.properties")) {
			jni.load(in);
		}
		assertThat(jni.getProperty("jni_version")).startsWith(env.get("PYTORCH_VERSION") + "-");
		assertThat(ROOT.resolve(".dockerignore")).content().contains("!src/").contains("!libtorch/");
	}

	// PromQL: drop strings, label matchers, ranges and label lists; what remains as a
	// bare identifier not followed by "(" (a function) nor a keyword is a metric name.
	static Set<String> metricNames(String expr) {
		String stripped = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ")
			.replaceAll("\\{[^}]*}", " ")
			.replaceAll("\\[[^]]*]", " ")
			.replaceAll("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
		Matcher matcher = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][\\w:]*)(\\s*\\()?").matcher(stripped);
		Set<String> names = new TreeSet<>();
		while (matcher.find()) {
			if (matcher.group(2) == null && !PROMQL_WORDS.contains(matcher.group(1).toLowerCase())) {
				names.add(matcher.group(1));
			}
		}
		return names;
	}

	/** Dockerfile instructions with continuation lines joined and comments dropped. */
	private static List<String> dockerfile() throws IOException {
		List<String> instructions = new ArrayList<>();
		StringBuilder current = new StringBuilder();
		for (String line : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
			String trimmed = line.strip();
			if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.length() == 0)) {
				continue;
			}
			if (trimmed.endsWith("\\")) {
				current.append(trimmed, 0, trimmed.length() - 1).append(' ');
				continue;
			}
			current.append(trimmed);
			instructions.add(current.toString().replaceAll("\\s+", " ").strip());
			current.setLength(0);
		}
		return instructions;
	}

	private static Map<String, String> dockerfileEnv() throws IOException {
		Map<String, String> env = new LinkedHashMap<>();
		Pattern pair = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)");
		for (String instruction : dockerfile()) {
			if (instruction.startsWith("ENV ")) {
				Matcher matcher = pair.matcher(instruction.substring(4));
				while (matcher.find()) {
					env.put(matcher.group(1), matcher.group(2).replace("\"", ""));
				}
			}
		}
		return env;
	}

	private static int dockerfileUid() throws IOException {
		String user = dockerfile().stream()
			.filter((line) -> line.startsWith("USER "))
			.reduce((first, second) -> second)
			.orElseThrow()
			.substring(5);
		assertThat(user).as("numeric USER, so that runAsNonRoot can be verified").matches("\\d+(:\\d+)?");
		return Integer.parseInt(user.split(":")[0]);
	}

	private static Map<String, Object> deployment() throws IOException {
		Map<String, Object> deployment = single(ROOT.resolve("k8s/deployment.yaml"));
		assertThat(text(deployment, "kind")).isEqualTo("Deployment");
		return deployment;
	}

	private static Map<String, Object> podSpec(Map<String, Object> deployment) {
		return map(map(map(deployment, "spec"), "template"), "spec");
	}

	private static Map<String, Object> podLabels(Map<String, Object> deployment) {
		return map(map(map(map(deployment, "spec"), "template"), "metadata"), "labels");
	}

	private static Map<String, Object> container(Map<String, Object> deployment) {
		List<Object> containers = list(podSpec(deployment), "containers");
		assertThat(containers).hasSize(1);
		return asMap(containers.get(0));
	}

	private static Map<String, Integer> containerPorts(Map<String, Object> container) {
		Map<String, Integer> ports = new LinkedHashMap<>();
		for (Object port : list(container, "ports")) {
			Map<String, Object> entry = asMap(port);
			ports.put(String.valueOf(entry.get("name")), (Integer) entry.get("containerPort"));
		}
		return ports;
	}

	/** A probe or Service port is a number or the name of a container port. */
	private static Integer resolvePort(Map<String, Object> container, Object port) {
		return (port instanceof Integer number) ? number : containerPorts(container).get(String.valueOf(port));
	}

	private static String probePath(Map<String, Object> container, String probe) {
		return text(map(map(container, probe), "httpGet"), "path");
	}

	/** Mount path to volume name. */
	private static Map<String, String> mounts(Map<String, Object> container) {
		Map<String, String> mounts = new LinkedHashMap<>();
		for (Object mount : list(container, "volumeMounts")) {
			mounts.put(text(asMap(mount), "mountPath"), text(asMap(mount), "name"));
		}
		return mounts;
	}

	private static boolean isKustomize(Map<String, Object> document) {
		return String.valueOf(document.get("apiVersion")).startsWith("kustomize.config.k8s.io/");
	}

	private static List<Path> yamlFiles(Path folder) throws IOException {
		try (Stream<Path> files = Files.walk(folder)) {
			return files.filter(Files::isRegularFile)
				.filter((file) -> file.toString().endsWith(".yaml") || file.toString().endsWith(".yml"))
				.sorted()
				.toList();
		}
	}

	private static List<Map<String, Object>> documents(Path file) throws IOException {
		List<Map<String, Object>> documents = new ArrayList<>();
		try (Reader reader = Files.newBufferedReader(file)) {
			for (Object document : new Yaml().loadAll(reader)) {
				if (document != null) {
					documents.add(asMap(document));
				}
			}
		}
		return documents;
	}

	private static Map<String, Object> single(Path file) throws IOException {
		List<Map<String, Object>> documents = documents(file);
		assertThat(documents).as(file.toString()).hasSize(1);
		return documents.get(0);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> asMap(Object node) {
		assertThat(node).isInstanceOf(Map.class);
		return (Map<String, Object>) node;
	}

	private static Map<String, Object> map(Map<String, Object> node, String key) {
		assertThat(node).as("has " + key).containsKey(key);
		return asMap(node.get(key));
	}

	@SuppressWarnings("unchecked")
	private static List<Object> list(Map<String, Object> node, String key) {
		assertThat(node.get(key)).as(key).isInstanceOf(List.class);
		return (List<Object>) node.get(key);
	}

	private static List<String> strings(Object node) {
		assertThat(node).isInstanceOf(Collection.class);
		return ((Collection<?>) node).stream().map(String::valueOf).toList();
	}

	private static String text(Map<String, Object> node, String key) {
		Object value = node.get(key);
		return (value != null) ? value.toString() : null;
	}

}
