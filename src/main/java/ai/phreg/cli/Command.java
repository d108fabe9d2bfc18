package ai.phreg.cli;

import java.io.PrintStream;

/**
 * One command of {@code phreg}: its flags and what it does with them. {@link CommandLine}
 * parses the arguments, answers {@code --help} and reports usage errors the same way for
 * every command.
 */
interface Command {

	/** Exit code of a command that ran and succeeded. */
	int SUCCESS = 0;

	/** Exit code of a command that ran and failed: bad checkpoint, image, job. */
	int FAILURE = 1;

	/** Exit code of arguments the command does not understand. */
	int USAGE = 2;

	/** The flags that {@code args} are read with. */
	CommandOptions options(String[] args);

	/** Every usage text of the command, for {@code --help}. */
	default String usage() {
		return options(new String[0]).usage();
	}

	/**
	 * Runs the command; returns the exit code.
	 * @throws CommandOptions.UsageException when a value is out of the command's range
	 */
	int run(CommandOptions.Parsed arguments, PrintStream out, PrintStream err);

}
