package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import ai.phreg.imagesource.ImageFolder;
import ai.djl.ndarray.NDManager;
import ai.phreg.demo.DemoTeacher;

/**
 * Measures what PH-Reg training steps of the demo teacher add to the resident memory of a
 * process of its own: arguments are the image folder, resolution, batch size, views,
 * registers and steps. Prints {@code rss-before=<bytes> peak=<bytes>}, the resident set
 * once teacher, student and images are ready and the high-water mark after the steps.
 */
public final class StepMemoryInNewJvm {

	private StepMemoryInNewJvm() {
	}

	public static void main(String[] args) throws Exception {
		int resolution = Integer.parseInt(args[1]);
		int batch = Integer.parseInt(args[2]);
		int views = Integer.parseInt(args[3]);
		int registers = Integer.parseInt(args[4]);
		DistillSettings settings = new DistillSettings(registers, UnlockPolicy.DEFAULT, views, 0.15, resolution, batch,
				2, 1e-4, 1e-4, 1e-2, 1f, 1);
		try (NDManager manager = NDManager.newBaseManager();
				Training training = Training
					.of(DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).asTeacher(),
							ImageFolder.scan(Path.of(args[0])), settings)
					.start(manager)) {
			long before = status("VmRSS:");
			training.train(Long.parseLong(args[5]), () -> false);
			System.out.println("rss-before=" + before + " peak=" + status("VmHWM:"));
		}
	}

	private static long status(String field) throws IOException {
		return Files.readAllLines(Path.of("/proc/self/status"))
			.stream()
			.filter((line) -> line.startsWith(field))
			.mapToLong((line) -> Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024)
			.findFirst()
			.orElseThrow();
	}

}
