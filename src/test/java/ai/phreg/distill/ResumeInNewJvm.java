package ai.phreg.distill;

import java.nio.file.Path;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointLoader;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.imagesource.ImageFolder;

/**
 * Resumes a saved run of {@link DistillerTests#SETTINGS} in a process of its own:
 * arguments are the fixture folder, the image folder, the saved state, the steps to run
 * and where to save.
 */
public final class ResumeInNewJvm {

	private ResumeInNewJvm() {
	}

	public static void main(String[] args) throws Exception {
		try (NDManager manager = NDManager.newBaseManager()) {
			LoadedModel teacher = CheckpointLoader
				.load(Path.of(args[0]).resolve("dinov2/dinov2_reg0.torch.safetensors"), manager);
			try (Distiller distiller = new Distiller(DistillerTests.SETTINGS, teacher,
					ImageFolder.scan(Path.of(args[1])), manager)) {
				distiller.restore(Path.of(args[2]));
				distiller.run(Long.parseLong(args[3]), (report) -> {
				});
				distiller.save(Path.of(args[4]));
			}
		}
	}

}
