package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.ExportedCheckpoint;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.imagesource.ImageSource;

/**
 * The one way a PH-Reg run is set up and driven, by a job, the benchmarks and the tests
 * alike: a student from the teacher, the settings and the execution, the listeners of its
 * steps, and, when it has a checkpoint folder, a resume from the newest checkpoint there
 * and a checkpoint every few steps. The {@link Distiller} underneath does the steps.
 */
public final class Training implements AutoCloseable {

	private final LoadedModel teacher;

	private final Distiller distiller;

	private final ProgressListener listener;

	/** Null when the run keeps no checkpoints. */
	private final CheckpointFolder checkpoints;

	private final long checkpointEvery;

	private Training(LoadedModel teacher, Distiller distiller, ProgressListener listener, CheckpointFolder checkpoints,
			long checkpointEvery) {
		this.teacher = teacher;
		this.distiller = distiller;
		this.listener = listener;
		this.checkpoints = checkpoints;
		this.checkpointEvery = checkpointEvery;
	}

	/**
	 * A run of {@code settings} on {@code images}, its student started from
	 * {@code teacher}; by default with {@link ExecutionSettings#DEFAULT}, no listener and
	 * no checkpoints.
	 */
	public static Builder of(LoadedModel teacher, ImageSource images, DistillSettings settings) {
		return new Builder(teacher, images, settings);
	}

	/**
	 * Trains until the next checkpoint is due (until the end without a checkpoint
	 * folder), the run finishes or {@code stopRequested} says so, which it asks before
	 * every step; returns the steps trained.
	 */
	public long trainUntilCheckpoint(BooleanSupplier stopRequested) {
		long steps = (this.checkpoints != null) ? this.checkpointEvery : this.distiller.totalSteps();
		return train(steps, stopRequested);
	}

	/**
	 * Trains up to {@code maxSteps} steps, fewer when the run finishes or
	 * {@code stopRequested} says so; returns the steps trained.
	 */
	public long train(long maxSteps, BooleanSupplier stopRequested) {
		return this.distiller.run(maxSteps, this.listener, stopRequested);
	}

	/** Trains to the last step, saving a checkpoint whenever one is due. */
	public void trainToEnd() throws IOException {
		while (!this.distiller.isFinished()) {
			trainUntilCheckpoint(() -> false);
			if (this.checkpoints != null) {
				saveCheckpoint();
			}
		}
	}

	/**
	 * Saves the run's state as the checkpoint of its current step.
	 * @return the checkpoint written
	 * @throws IllegalStateException when the run has no checkpoint folder
	 */
	public Path saveCheckpoint() throws IOException {
		if (this.checkpoints == null) {
			throw new IllegalStateException("This run keeps no checkpoints");
		}
		return this.checkpoints.save(this.distiller);
	}

	/**
	 * Writes the student in its teacher's format, with the teacher's carried tensors (the
	 * mask token) and normalization, so that it loads wherever the teacher did.
	 */
	public ExportedCheckpoint exportStudent(Path target, Map<String, String> metadata) throws IOException {
		return CheckpointExporter.export(this.distiller.student(), this.teacher.carried(), this.teacher.format(),
				target, DType.F32, metadata, this.teacher.normalization());
	}

	public LoadedModel teacher() {
		return this.teacher;
	}

	/** The run itself, for what it reports: steps, student, skipped images. */
	public Distiller distiller() {
		return this.distiller;
	}

	@Override
	public void close() {
		this.distiller.close();
	}

	/** What a {@link Training} is set up with. */
	public static final class Builder {

		private final LoadedModel teacher;

		private final ImageSource images;

		private final DistillSettings settings;

		private ExecutionSettings execution = ExecutionSettings.DEFAULT;

		private ProgressListener listener = (report) -> {
		};

		private CheckpointFolder checkpoints;

		private long checkpointEvery;

		private Builder(LoadedModel teacher, ImageSource images, DistillSettings settings) {
			this.teacher = Objects.requireNonNull(teacher, "teacher");
			this.images = Objects.requireNonNull(images, "images");
			this.settings = Objects.requireNonNull(settings, "settings");
		}

		/**
		 * How the run computes: teacher chunk, prefetching, target cache, determinism.
		 */
		public Builder execution(ExecutionSettings execution) {
			this.execution = Objects.requireNonNull(execution, "execution");
			return this;
		}

		/** Adds a listener, told of every step after those added before it. */
		public Builder listener(ProgressListener added) {
			ProgressListener before = this.listener;
			this.listener = (report) -> {
				before.onStep(report);
				added.onStep(report);
			};
			return this;
		}

		/**
		 * Resumes from the newest checkpoint of {@code folder}, if any, and makes one due
		 * every {@code every} steps.
		 */
		public Builder checkpoints(CheckpointFolder folder, long every) {
			if (every < 1) {
				throw new IllegalArgumentException("Checkpoints are due every step or less often, not every " + every);
			}
			this.checkpoints = Objects.requireNonNull(folder, "folder");
			this.checkpointEvery = every;
			return this;
		}

		/**
		 * Builds the student in {@code manager} (closed by the caller, after the
		 * training) and resumes from the newest checkpoint when there is a folder.
		 */
		public Training start(NDManager manager) throws IOException {
			Distiller distiller = new Distiller(this.settings, this.execution, this.teacher, this.images, manager);
			try {
				Path newest = (this.checkpoints != null) ? this.checkpoints.newest() : null;
				if (newest != null) {
					distiller.restore(newest);
				}
				return new Training(this.teacher, distiller, this.listener, this.checkpoints, this.checkpointEvery);
			}
			catch (IOException | RuntimeException ex) {
				distiller.close();
				throw ex;
			}
		}

	}

}
