package ai.phreg;

import ai.phreg.cli.InspectCommand;
import java.util.Arrays;

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
		if (args.length > 0 && args[0].equals("inspect")) {
			// A one-shot command needs no application context.
			System.exit(InspectCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
		}
		SpringApplication.run(PhregApplication.class, args);
	}

}
