package ai.phreg.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

	private static final Path STATUS = Path.of("/proc/self/status");

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge.builder("phreg.process.resident.memory", ResidentMemoryGauge::residentBytes)
			.description("Resident memory of the process (VmRSS), native tensors included; NaN where /proc is absent")
			.baseUnit("bytes")
			.register(registry);
	}

	/** VmRSS in bytes, or NaN when the system has no {@code /proc}. */
	static double residentBytes() {
		try {
			for (String line : Files.readAllLines(STATUS)) {
				if (line.startsWith("VmRSS:")) {
					// "VmRSS: 123456 kB"
					return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
				}
			}
		}
		catch (IOException | NumberFormatException ex) {
			// Not Linux: no figure rather than a wrong one.
		}
		return Double.NaN;
	}

}
