package ai.phreg.cli;

import java.io.PrintStream;
import java.util.Arrays;

import ai.djl.engine.Engine;

/**
 * {@code phreg engine}: loads the deep learning engine once and prints what it found.
 * Container builds run it to unpack the PyTorch native libraries into the image, so that
 * a container never writes them at start-up.
 */
final class EngineCommand implements Command {

	private static final CommandOptions OPTIONS = CommandOptions.command("engine",
			"loads the PyTorch engine and lists its devices (container builds run it to unpack the natives)");

	@Override
	public CommandOptions options(String[] args) {
		return OPTIONS;
	}

	@Override
	public int run(CommandOptions.Parsed arguments, PrintStream out, PrintStream err) {
		try {
			Engine engine = Engine.getInstance();
			out.println("engine: " + engine.getEngineName() + " " + engine.getVersion());
			out.println("devices: " + Arrays.toString(engine.getDevices()));
			out.println("gpus: " + engine.getGpuCount());
			return SUCCESS;
		}
		catch (RuntimeException ex) {
			err.println("phreg engine: " + ex.getMessage());
			return FAILURE;
		}
	}

}
