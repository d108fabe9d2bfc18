package ai.phreg.system;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.engine.Engine;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

/**
 * Adds the engine, its version, the devices, the native heap's settings and the run-time
 * library versions to {@code /actuator/info}.
 */
@Component
class EngineInfoContributor implements InfoContributor {

	@Override
	public void contribute(Info.Builder builder) {
		Engine engine = Engine.getInstance();
		Map<String, Object> details = new LinkedHashMap<>();
		details.put("name", engine.getEngineName());
		details.put("version", engine.getVersion());
		details.put("djl", Engine.getDjlVersion());
		details.put("devices", Arrays.stream(engine.getDevices()).map(Object::toString).toList());
		details.put("gpus", engine.getGpuCount());
		details.put("nativeHeap", NativeHeap.setting());
		builder.withDetail("engine", details);
		builder.withDetail("phreg",
				Map.of("version", String.valueOf(EngineInfoContributor.class.getPackage().getImplementationVersion())));
	}

}
