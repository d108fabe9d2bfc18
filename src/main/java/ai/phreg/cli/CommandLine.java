package ai.phreg.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * The commands of {@code phreg.jar}. A first argument that is not a flag names a command,
 * which runs without the service (only {@code distill} and {@code analyze} start an
 * application context of their own, without a web server); {@code --help}, {@code help}
 * and an unknown command print the usage. Anything else (no argument, or
 * {@code --name=value} properties) starts the service.
 */
public final class CommandLine {

	private static final Set<String> HELP = Set.of("help", "--help", "-h");

	private static final Map<String, Command> COMMANDS = commands(new DistillCommand(), new AnalyzeCommand(),
			new InspectCommand(), new BenchmarkCommand(), new EngineCommand());

	private CommandLine() {
	}

	/** Whether {@code args} are for the command line rather than the service. */
	public static boolean isCommand(String[] args) {
		return args.length > 0 && (HELP.contains(args[0]) || !args[0].startsWith("-"));
	}

	/** Runs the command named by {@code args[0]}; returns the exit code. */
	public static int run(String[] args, PrintStream out, PrintStream err) {
		if (HELP.contains(args[0])) {
			return help(Arrays.copyOfRange(args, 1, args.length), out, err);
		}
		Command command = COMMANDS.get(args[0]);
		if (command == null) {
			err.println("phreg: unknown command '" + args[0] + "'");
			err.print(overview());
			return Command.USAGE;
		}
		String[] rest = Arrays.copyOfRange(args, 1, args.length);
		CommandOptions options = command.options(rest);
		try {
			CommandOptions.Parsed arguments = options.parse(rest);
			if (arguments.helpRequested()) {
				out.print(command.usage());
				return Command.SUCCESS;
			}
			quietLibraryLogging();
			return command.run(arguments, out, err);
		}
		catch (CommandOptions.UsageException ex) {
			err.println("phreg " + args[0] + ": " + ex.getMessage());
			err.print(options.usage());
			return Command.USAGE;
		}
	}

	/** {@code phreg help [COMMAND]}. */
	private static int help(String[] topic, PrintStream out, PrintStream err) {
		if (topic.length == 0) {
			out.print(overview());
			return Command.SUCCESS;
		}
		Command command = COMMANDS.get(topic[0]);
		if (command == null) {
			err.println("phreg help: unknown command '" + topic[0] + "'");
			err.print(overview());
			return Command.USAGE;
		}
		out.print(command.usage());
		return Command.SUCCESS;
	}

	private static String overview() {
		StringBuilder text = new StringBuilder("""
				usage: phreg COMMAND [options]     run one command and exit
				       phreg [--name=value ...]    start the service (settings as Spring properties)

				commands:
				""");
		COMMANDS.values()
			.forEach((command) -> text.append(String.format("  %-10s %s%n", command.options(new String[0]).command(),
					command.options(new String[0]).summary())));
		text.append("\nphreg COMMAND --help (or phreg help COMMAND) prints the command's options.\n");
		return text.toString();
	}

	private static Map<String, Command> commands(Command... commands) {
		Map<String, Command> byName = new LinkedHashMap<>();
		List.of(commands).forEach((command) -> byName.put(command.options(new String[0]).command(), command));
		return byName;
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
