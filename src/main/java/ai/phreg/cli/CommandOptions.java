package ai.phreg.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import ai.phreg.distill.TargetSource;
import ai.phreg.distill.TeacherPrecision;

/**
 * The flags of one command, declared once: every command parses its arguments the same
 * way ({@code --name value} or {@code --name=value}, {@code --help} anywhere) and prints
 * its usage from the same declarations, so a flag cannot be accepted without being
 * documented or documented without being accepted.
 */
final class CommandOptions {

	/** What {@code --teacher-precision} does, for every command that takes it. */
	static final String TEACHER_PRECISION_HELP = "the number format the teacher computes in: fp32, or fp16 on CUDA"
			+ " (bf16 is refused: DJL's PyTorch engine lacks it); targets are averaged in float32 (default fp32)";

	private static final List<String> HELP = List.of("--help", "-h");

	private final String command;

	private final String summary;

	private final List<Positional> positionals = new ArrayList<>();

	private final Map<String, Flag> flags = new LinkedHashMap<>();

	private CommandOptions(String command, String summary) {
		this.command = command;
		this.summary = summary;
	}

	/**
	 * @param command the command's name, as typed after {@code phreg}
	 * @param summary one sentence saying what the command does
	 */
	static CommandOptions command(String command, String summary) {
		return new CommandOptions(command, summary);
	}

	/** A required argument without a flag, such as a checkpoint path. */
	CommandOptions positional(String name, String help) {
		this.positionals.add(new Positional(name, help));
		return this;
	}

	/**
	 * A flag taking one value.
	 * @param name the flag, with its leading {@code --}
	 * @param value what the value is, such as {@code N} or {@code DIR}
	 * @param help what it does, with its default
	 */
	CommandOptions flag(String name, String value, String help) {
		if (!name.startsWith("--") || this.flags.containsKey(name)) {
			throw new IllegalArgumentException("Bad or repeated flag " + name);
		}
		this.flags.put(name, new Flag(name, value, help));
		return this;
	}

	String command() {
		return this.command;
	}

	String summary() {
		return this.summary;
	}

	/** The usage text: synopsis, summary, and one line per flag. */
	String usage() {
		StringBuilder synopsis = new StringBuilder("usage: phreg ").append(this.command);
		this.positionals.forEach((positional) -> synopsis.append(' ').append(positional.name()));
		if (!this.flags.isEmpty()) {
			synopsis.append(" [options]");
		}
		StringBuilder text = new StringBuilder(synopsis).append('\n').append(this.summary).append('\n');
		int width = this.flags.values().stream().mapToInt((flag) -> flag.synopsis().length()).max().orElse(0);
		width = Math.max(width, HELP.get(0).length());
		for (Positional positional : this.positionals) {
			width = Math.max(width, positional.name().length());
		}
		String line = "  %-" + width + "s  %s%n";
		if (!this.positionals.isEmpty()) {
			text.append('\n');
			this.positionals.forEach((positional) -> text
				.append(String.format(Locale.ROOT, line, positional.name(), positional.help())));
		}
		text.append("\noptions:\n");
		this.flags.values()
			.forEach((flag) -> text.append(String.format(Locale.ROOT, line, flag.synopsis(), flag.help())));
		text.append(String.format(Locale.ROOT, line, "--help", "print this and exit"));
		return text.toString();
	}

	/**
	 * Reads {@code args}.
	 * @throws UsageException naming the first argument that is not understood
	 */
	Parsed parse(String[] args) {
		if (Arrays.stream(args).anyMatch(HELP::contains)) {
			return new Parsed(this, Map.of(), List.of(), true);
		}
		Map<String, String> values = new LinkedHashMap<>();
		List<String> positionalValues = new ArrayList<>();
		for (int i = 0; i < args.length; i++) {
			String argument = args[i];
			if (!argument.startsWith("--")) {
				if (positionalValues.size() == this.positionals.size()) {
					throw new UsageException("unexpected argument " + argument);
				}
				positionalValues.add(argument);
				continue;
			}
			int equals = argument.indexOf('=');
			String name = (equals < 0) ? argument : argument.substring(0, equals);
			if (!this.flags.containsKey(name)) {
				throw new UsageException("unknown option " + name);
			}
			String value;
			if (equals >= 0) {
				value = argument.substring(equals + 1);
			}
			else if (i + 1 < args.length) {
				value = args[++i];
			}
			else {
				throw new UsageException(name + " needs a value (" + this.flags.get(name).value() + ")");
			}
			if (values.put(name, value) != null) {
				throw new UsageException(name + " is given twice");
			}
		}
		if (positionalValues.size() < this.positionals.size()) {
			throw new UsageException("missing " + this.positionals.get(positionalValues.size()).name());
		}
		return new Parsed(this, values, positionalValues, false);
	}

	private record Positional(String name, String help) {
	}

	private record Flag(String name, String value, String help) {

		String synopsis() {
			return this.name + " " + this.value;
		}

	}

	/** Arguments a command does not understand; it prints the message and its usage. */
	static final class UsageException extends IllegalArgumentException {

		UsageException(String message) {
			super(message);
		}

	}

	/** The arguments of one invocation, read through typed getters. */
	static final class Parsed {

		private final CommandOptions options;

		private final Map<String, String> values;

		private final List<String> positionals;

		private final boolean helpRequested;

		private Parsed(CommandOptions options, Map<String, String> values, List<String> positionals,
				boolean helpRequested) {
			this.options = options;
			this.values = values;
			this.positionals = positionals;
			this.helpRequested = helpRequested;
		}

		/** The declarations these arguments were read with. */
		CommandOptions options() {
			return this.options;
		}

		/** Whether {@code --help} (or {@code -h}) was among the arguments. */
		boolean helpRequested() {
			return this.helpRequested;
		}

		/** The positional argument at {@code index}, in declaration order. */
		String positional(int index) {
			return this.positionals.get(index);
		}

		boolean has(String flag) {
			return this.values.containsKey(declared(flag));
		}

		/** The flag's value, or null when it is absent. */
		String text(String flag) {
			return this.values.get(declared(flag));
		}

		String text(String flag, String fallback) {
			return has(flag) ? text(flag) : fallback;
		}

		/** The flag's value as a whole number, or null when it is absent. */
		Integer integer(String flag) {
			return convert(flag, "a whole number", Integer::valueOf);
		}

		int integer(String flag, int fallback) {
			return has(flag) ? integer(flag) : fallback;
		}

		/** The flag's value as a whole number, or null when it is absent. */
		Long longInteger(String flag) {
			return convert(flag, "a whole number", Long::valueOf);
		}

		long longInteger(String flag, long fallback) {
			return has(flag) ? longInteger(flag) : fallback;
		}

		/** The flag's value as a number, or null when it is absent. */
		Double decimal(String flag) {
			return convert(flag, "a number", (value) -> {
				double number = Double.parseDouble(value);
				if (!Double.isFinite(number)) {
					throw new NumberFormatException(value);
				}
				return number;
			});
		}

		double decimal(String flag, double fallback) {
			return has(flag) ? decimal(flag) : fallback;
		}

		/** The flag's value as a path, or null when it is absent. */
		Path path(String flag) {
			return convert(flag, "a path", Path::of);
		}

		Path path(String flag, Path fallback) {
			return has(flag) ? path(flag) : fallback;
		}

		/** The flag's {@code on} or {@code off} value. */
		boolean onOff(String flag, boolean fallback) {
			return has(flag) ? convert(flag, "on or off", (value) -> switch (value) {
				case "on" -> true;
				case "off" -> false;
				default -> throw new IllegalArgumentException(value);
			}) : fallback;
		}

		/** The flag's teacher precision: {@code fp32}, {@code bf16} or {@code fp16}. */
		TeacherPrecision teacherPrecision(String flag) {
			return has(flag) ? convert(flag, "fp32, bf16 or fp16", TeacherPrecision::of) : TeacherPrecision.FP32;
		}

		/** The flag's target source ({@link TargetSource#label()}). */
		TargetSource targets(String flag, TargetSource fallback) {
			return has(flag) ? convert(flag, "tta, test-time-registers or both", TargetSource::ofLabel) : fallback;
		}

		/** The flag's comma-separated values, empty when it is absent. */
		List<String> list(String flag) {
			return has(flag) ? Arrays.stream(text(flag).split(","))
				.map(String::strip)
				.filter((value) -> !value.isEmpty())
				.toList() : List.of();
		}

		/** A value of the flag fails a command's own check: a usage error. */
		UsageException invalid(String flag, String problem) {
			return new UsageException(flag + " " + problem);
		}

		private <T> T convert(String flag, String kind, Function<String, T> conversion) {
			String value = text(flag);
			if (value == null) {
				return null;
			}
			try {
				return conversion.apply(value);
			}
			catch (RuntimeException ex) {
				throw new UsageException(flag + " takes " + kind + ", not '" + value + "'");
			}
		}

		private String declared(String flag) {
			if (!this.options.flags.containsKey(flag)) {
				// A command reading a flag it never declared is a bug, not a usage error.
				throw new IllegalStateException(this.options.command + " reads undeclared flag " + flag);
			}
			return flag;
		}

	}

}
