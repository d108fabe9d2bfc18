package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

import ai.phreg.imagesource.ImageFolder;
import ai.djl.ndarray.NDManager;
import ai.phreg.demo.DemoTeacher;

/**
 * One process of a crash drill: trains {@link #SETTINGS} on the demo teacher in
 * {@link Determinism#EXACT} mode, resuming from the newest checkpoint of a folder and
 * saving one every {@link #CHECKPOINT_EVERY} steps, as a job does. It announces each
 * phase on stdout ({@code resumed N}, {@code step N}, {@code saving N}, {@code saved N},
 * {@code done}) so that a drill can kill it at chosen points. Arguments: the checkpoint
 * folder and the image folder.
 */
public final class CrashDrillRun {

	/** 36 photos in batches of 4 for 2 epochs: 18 steps of a tiny crop. */
	static final DistillSettings SETTINGS = new DistillSettings(2, UnlockPolicy.DEFAULT, 2, 0.25, 56, 4, 18, 1e-3, 1e-4,
			1e-2, 1f, 5);

	static final int CHECKPOINT_EVERY = 3;

	private CrashDrillRun() {
	}

	public static void main(String[] args) throws IOException {
		train(Path.of(args[0]), Path.of(args[1]), (line) -> {
			System.out.println(line);
			System.out.flush();
		});
	}

	/** Trains to the end from the newest checkpoint in {@code checkpoints}. */
	static void train(Path checkpoints, Path images, Consumer<String> announce) throws IOException {
		try (NDManager manager = NDManager.newBaseManager();
				Training training = Training
					.of(DemoTeacher.create(DemoTeacher.DEFAULT_SEED, manager).asTeacher(), ImageFolder.scan(images),
							SETTINGS)
					.execution(ExecutionSettings.DEFAULT.withDeterminism(Determinism.EXACT))
					.listener((report) -> announce.accept("step " + report.globalStep()))
					.checkpoints(CheckpointFolder.open(checkpoints, 2), CHECKPOINT_EVERY)
					.start(manager)) {
			announce.accept("resumed " + training.distiller().globalStep());
			while (!training.distiller().isFinished()) {
				training.trainUntilCheckpoint(() -> false);
				long step = training.distiller().globalStep();
				announce.accept("saving " + step);
				training.saveCheckpoint();
				announce.accept("saved " + step);
			}
			announce.accept("done");
		}
	}

}
