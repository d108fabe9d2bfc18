package ai.phreg.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line's help and usage errors: printed from the commands' declared flags,
 * with exit code 0 for help asked for and 2 for arguments not understood.
 */
class CommandLineTests {

	private static final String[] COMMANDS = { "distill", "inspect", "benchmark", "engine" };

	@Test
	void helpInEveryFormListsEveryCommand() {
		for (String help : new String[] { "--help", "-h", "help" }) {
			Result result = run(help);

			assertThat(result.exitCode()).as(help).isZero();
			assertThat(result.err()).as(help).isEmpty();
			assertThat(result.out()).as(help).startsWith("usage: phreg COMMAND").contains(COMMANDS);
		}
	}

	@Test
	void anUnknownCommandIsAUsageErrorThatListsTheCommands() {
		Result result = run("frobnicate", "--teacher", "x");

		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.out()).isEmpty();
		assertThat(result.err()).startsWith("phreg: unknown command 'frobnicate'").contains(COMMANDS);
	}

	@Test
	void everyCommandPrintsItsOwnUsageOnHelp() {
		for (String command : COMMANDS) {
			Result asFlag = run(command, "--help");
			Result asCommand = run("help", command);

			assertThat(asFlag.exitCode()).as(command).isZero();
			assertThat(asFlag.out()).as(command).startsWith("usage: phreg " + command).contains("--help");
			assertThat(asCommand.out()).as(command).isEqualTo(asFlag.out());
		}
	}

	@Test
	void helpWinsOverOtherwiseBadArguments() {
		Result result = run("distill", "--no-such-flag", "--help");

		assertThat(result.exitCode()).isZero();
		assertThat(result.out()).isEqualTo(DistillCommand.OPTIONS.usage());
	}

	@Test
	void distillsUsageNamesEverySpecFlag() {
		String usage = run("distill", "--help").out();

		for (String flag : new String[] { "--teacher PATH", "--images PATH", "--steps N", "--epochs N", "--registers N",
				"--unlock POLICY", "--unlock-patterns GLOBS", "--views N", "--shift F", "--resolution PX", "--batch N",
				"--lr RATE", "--end-lr RATE", "--weight-decay F", "--seed N", "--device DEVICE", "--checkpoint-every N",
				"--export FORMATS", "--eval N", "--heads N", "--deterministic on|off", "--work-dir DIR" }) {
			assertThat(usage).contains(flag);
		}
	}

	@Test
	void benchmarkHelpShowsBothOfItsModes() {
		String usage = run("benchmark", "--help").out();

		assertThat(usage).contains(BenchmarkCommand.OPTIONS.usage()).contains(TrainingBenchmark.OPTIONS.usage());
	}

	@Test
	void badArgumentsAreUsageErrorsNamingTheArgument() {
		String[][] cases = { { "distill", "--images", "demo", "--steps", "2" },
				{ "distill", "--teacher", "demo", "--images", "demo" },
				{ "distill", "--teacher", "demo", "--images", "demo", "--steps", "2", "--epochs", "1" },
				{ "distill", "--teacher", "demo", "--images", "demo", "--steps", "two" },
				{ "distill", "--teacher", "demo", "--images", "demo", "--steps", "2", "--unlock", "everything" },
				{ "distill", "--teacher", "demo", "--images", "demo", "--steps", "2", "--export", "ONNX" },
				{ "distill", "--teacher", "demo", "--images", "demo", "--steps", "2", "--deterministic", "yes" },
				{ "distill", "--teacher", "demo", "--teacher", "demo" }, { "distill", "--teacher" },
				{ "benchmark", "--teacher", "x", "--epochs", "2" }, { "benchmark", "--epochs", "-" },
				{ "engine", "extra" } };
		String[] named = { "--teacher and --images", "exactly one of --steps and --epochs",
				"exactly one of --steps and --epochs", "--steps takes a whole number, not 'two'", "--unlock takes",
				"--export takes", "--deterministic takes on or off", "--teacher is given twice",
				"--teacher needs a value", "unknown option --epochs", "--epochs takes a whole number",
				"unexpected argument extra" };

		for (int i = 0; i < cases.length; i++) {
			Result result = run(cases[i]);

			assertThat(result.exitCode()).as(String.join(" ", cases[i])).isEqualTo(2);
			assertThat(result.out()).isEmpty();
			assertThat(result.err()).as(String.join(" ", cases[i]))
				.startsWith("phreg " + cases[i][0] + ": ")
				.contains(named[i])
				.contains("usage: phreg " + cases[i][0]);
		}
	}

	@Test
	void flagsTakeTheirValueAfterAnEqualsSignToo() {
		CommandOptions.Parsed spaced = DistillCommand.OPTIONS.parse(new String[] { "--steps", "7", "--lr", "1e-3" });
		CommandOptions.Parsed joined = DistillCommand.OPTIONS.parse(new String[] { "--steps=7", "--lr=1e-3" });

		assertThat(joined.integer("--steps")).isEqualTo(spaced.integer("--steps")).isEqualTo(7);
		assertThat(joined.decimal("--lr")).isEqualTo(spaced.decimal("--lr")).isEqualTo(1e-3);
		assertThat(joined.integer("--batch", 5)).isEqualTo(5);
	}

	static Result run(String... args) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		int exitCode = CommandLine.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
				new PrintStream(err, true, StandardCharsets.UTF_8));
		return new Result(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
	}

	record Result(int exitCode, String out, String err) {
	}

}
