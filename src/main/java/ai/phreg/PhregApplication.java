package ai.phreg;

import ai.phreg.cli.CommandLine;
import ai.phreg.system.NativeHeap;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Entry point of the phreg service.
 */
@SpringBootApplication
public class PhregApplication {

	public static void main(String[] args) {
		// DJL must never reach for the network: set before the engine class loads.
		System.setProperty("ai.djl.offline", "true");
		// Before libtorch allocates anything: training steps reuse freed tensor memory.
		NativeHeap.retainFreedMemory();
		if (CommandLine.isCommand(args)) {
			System.exit(CommandLine.run(args, System.out, System.err));
		}
		SpringApplication.run(PhregApplication.class, args);
	}

}
