package ai.phreg.job;

import ai.phreg.system.ProcessMemory;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/**
 * The process's resident memory: tensors live in libtorch's native memory, outside the
 * JVM heap that the JVM's own meters show.
 */
@Component
class ResidentMemoryGauge implements MeterBinder {

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge
			.builder("phreg.process.resident.memory",
					() -> ProcessMemory.resident().stream().asDoubleStream().findFirst().orElse(Double.NaN))
			.description("Resident memory of the process (VmRSS), native tensors included; NaN where /proc is absent")
			.baseUnit("bytes")
			.register(registry);
	}

}
