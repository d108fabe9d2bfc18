package ai.phreg.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * This process's resident memory as Linux reports it. Tensors live in libtorch's native
 * memory, outside the JVM heap that the JVM's own figures show, so the service's gauge
 * and the benchmarks read the kernel's.
 */
public final class ProcessMemory {

	private static final Path STATUS = Path.of("/proc/self/status");

	private ProcessMemory() {
	}

	/** The resident set size ({@code VmRSS}) in bytes; empty where there is no /proc. */
	public static OptionalLong resident() {
		return field("VmRSS:");
	}

	/**
	 * The peak resident set size ({@code VmHWM}) in bytes; empty where there is no /proc.
	 */
	public static OptionalLong peakResident() {
		return field("VmHWM:");
	}

	private static OptionalLong field(String name) {
		try {
			for (String line : Files.readAllLines(STATUS)) {
				if (line.startsWith(name)) {
					// "VmRSS: 123456 kB"
					return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
				}
			}
		}
		catch (IOException | NumberFormatException ex) {
			// Not Linux: no figure rather than a wrong one.
		}
		return OptionalLong.empty();
	}

}
