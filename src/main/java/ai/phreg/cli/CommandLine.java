package ai.phreg.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Set;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * The one-shot commands of {@code phreg.jar}, run without an application context.
 * Anything else starts the service.
 */
public final class CommandLine {

	private static final Set<String> COMMANDS = Set.of("inspect", "benchmark", "engine");

	private CommandLine() {
	}

	/** Whether {@code args} name a one-shot command. */
	public static boolean isCommand(String[] args) {
		return args.length > 0 && COMMANDS.contains(args[0]);
	}

	/** Runs the command named by {@code args[0]}; returns the exit code. */
	public static int run(String[] args, PrintStream out, PrintStream err) {
		quietLibraryLogging();
		String[] rest = Arrays.copyOfRange(args, 1, args.length);
		return switch (args[0]) {
			case "inspect" -> InspectCommand.run(rest, out, err);
			case "benchmark" -> BenchmarkCommand.run(rest, out, err);
			case "engine" -> EngineCommand.run(out, err);
			default -> throw new IllegalArgumentException("Unknown command " + args[0]);
		};
	}

	/**
	 * Commands print figures on stdout; DJL's start-up notes (and its two harmless CUDA
	 * warnings on machines with CUDA libraries but no driver) would mix into them.
	 */
	private static void quietLibraryLogging() {
		if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
			context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
			context.getLogger("ai.djl.util.cuda").setLevel(Level.ERROR);
		}
	}

}
