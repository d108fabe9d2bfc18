package ai.phreg.system;

import java.util.Arrays;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Health of the deep learning engine: it loads, and a small computation on the default
 * device gives the right answer. A broken native library or a lost GPU makes the service
 * DOWN.
 */
@Component("engine")
class EngineHealthIndicator implements HealthIndicator {

	@Override
	public Health health() {
		try {
			Engine engine = Engine.getInstance();
			Device device = engine.defaultDevice();
			try (NDManager manager = NDManager.newBaseManager(device)) {
				NDArray sum = manager.create(new float[] { 1, 2, 3 }).sum();
				boolean correct = sum.getFloat() == 6f;
				return (correct ? Health.up() : Health.down().withDetail("check", "1+2+3 != 6"))
					.withDetail("engine", engine.getEngineName() + " " + engine.getVersion())
					.withDetail("device", device.toString())
					.withDetail("devices", Arrays.toString(engine.getDevices()))
					.build();
			}
		}
		catch (RuntimeException | LinkageError ex) {
			return Health.down().withException(ex).build();
		}
	}

}
