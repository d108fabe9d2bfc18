package ai.phreg.distill;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import ai.phreg.checkpoint.safetensors.SafetensorsWriter;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.model.VisionTransformer;

/**
 * Runs PH-Reg: each step computes denoised targets with the frozen teacher over all
 * test-time views, trains the student's unlocked parameters towards them with AdamW, and
 * reports progress. A run can be saved after any step and resumed exactly, in another
 * process, from the seed, the step count and the saved weights and optimizer moments:
 * every random choice is derived from the seed and the position ({@link Seeds}).
 *
 */
public final class Distiller implements AutoCloseable {

	/**
	 * libtorch, through DJL, allows one gradient collector per process: runs of several
	 * jobs at once take turns for their forward and backward passes.
	 */
	private static final ReentrantLock GRADIENTS = new ReentrantLock();

	private static final long REGISTER_INIT = 3;

	private static final long VIEWS = 4;

	private static final long IMAGE_CACHE_BYTES = 256L << 20;

	private static final String STEP_KEY = "phreg.global_step";

	private static final String SETTINGS_KEY = "phreg.settings";

	private final DistillSettings settings;

	private final LoadedModel teacher;

	private final VisionTransformer student;

	private final NDManager manager;

	private final TrainingBatches batches;

	private final LearningRateSchedule schedule;

	private final DenoisedTargets denoiser;

	private final DistillationLoss loss;

	private final Map<String, Parameter> unlocked = new LinkedHashMap<>();

	private final AdamW optimizer;

	private long globalStep;

	/**
	 * @param settings what to run
	 * @param teacher the frozen teacher, which also provides the student's starting
	 * weights
	 * @param images the training images
	 * @param manager where the student and optimizer state live; closed by the caller
	 */
	public Distiller(DistillSettings settings, LoadedModel teacher, ImageSource images, NDManager manager) {
		int patch = teacher.model().config().patchSize();
		if (settings.resolution() % patch != 0) {
			throw new IllegalArgumentException(
					"Resolution " + settings.resolution() + " is not a multiple of the patch size " + patch);
		}
		this.settings = settings;
		this.teacher = teacher;
		this.manager = manager;
		this.student = StudentFactory.create(teacher, settings.registers(),
				Seeds.derive(settings.seed(), REGISTER_INIT), manager);
		for (Parameter parameter : settings.unlock().apply(this.student)) {
			this.unlocked.put(nameOf(parameter), parameter);
		}
		this.optimizer = new AdamW(this.unlocked, (float) settings.weightDecay());
		this.batches = new TrainingBatches(images, settings.resolution(), teacher.normalization(), settings.batchSize(),
				settings.seed(), IMAGE_CACHE_BYTES);
		this.schedule = LearningRateSchedule.forSteps(settings.learningRate(), settings.endLearningRate(),
				settings.steps(), this.batches.stepsPerEpoch());
		this.denoiser = new DenoisedTargets(patch, teacher.normalization());
		this.loss = new DistillationLoss(settings.mseWeight());
	}

	private String nameOf(Parameter parameter) {
		return this.student.getParameters()
			.stream()
			.filter((entry) -> entry.getValue() == parameter)
			.findFirst()
			.orElseThrow()
			.getKey();
	}

	public VisionTransformer student() {
		return this.student;
	}

	public DistillSettings settings() {
		return this.settings;
	}

	/** The names of the trained parameters. */
	public List<String> unlockedParameters() {
		return List.copyOf(this.unlocked.keySet());
	}

	public long globalStep() {
		return this.globalStep;
	}

	public long totalSteps() {
		return this.settings.steps();
	}

	public boolean isFinished() {
		return this.globalStep >= totalSteps();
	}

	/**
	 * Images skipped because they could not be read, by source index, with the reason.
	 */
	public Map<Integer, String> unreadableImages() {
		return this.batches.unreadable();
	}

	/**
	 * Runs up to {@code maxSteps} steps, fewer when the run finishes or the thread is
	 * interrupted; returns the number of steps run.
	 */
	public long run(long maxSteps, ProgressListener listener) {
		long done = 0;
		while (done < maxSteps && !isFinished() && !Thread.currentThread().isInterrupted()) {
			StepReport report = step();
			done++;
			if (report != null) {
				listener.onStep(report);
			}
		}
		return done;
	}

	/**
	 * One optimizer step; null when every image of the batch was unreadable (the step
	 * still counts).
	 */
	public StepReport step() {
		if (isFinished()) {
			throw new IllegalStateException("The run is finished after " + this.globalStep + " steps");
		}
		// Grad mode is per thread in libtorch: the teacher and the optimizer's in-place
		// updates must run without it, whichever thread trains.
		JniUtils.setGradMode(false);
		long stepsPerEpoch = this.batches.stepsPerEpoch();
		long epoch = this.globalStep / stepsPerEpoch;
		float rate = this.schedule.rateAt(this.globalStep);
		long started = System.nanoTime();
		try (NDManager step = this.manager.newSubManager()) {
			TrainingBatches.Batch batch = this.batches.batch(epoch, this.globalStep % stepsPerEpoch, step);
			if (batch == null) {
				this.globalStep++;
				return null;
			}
			int grid = this.settings.resolution() / this.teacher.model().config().patchSize();
			List<TtaPlan> plans = new ArrayList<>();
			for (int index : batch.imageIndices()) {
				plans.add(TtaPlan.sample(grid, this.settings.shiftFraction(), this.settings.views(),
						Seeds.derive(this.settings.seed(), VIEWS, epoch, index)));
			}
			ParameterStore store = new ParameterStore(step, false);
			NDArray targets = this.denoiser.compute(DenseHeads.teacher(this.teacher), store, batch.pixels(), plans);
			long teacherDone = System.nanoTime();
			DistillationLoss.Parts parts;
			GRADIENTS.lock();
			try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
				NDArray features = DenseHeads.student(this.teacher.format(), this.student)
					.of(store, batch.pixels(), true);
				parts = this.loss.compute(features, targets);
				collector.backward(parts.total());
			}
			finally {
				GRADIENTS.unlock();
			}
			boolean updated = this.optimizer.step(rate);
			this.globalStep++;
			long finished = System.nanoTime();
			int images = batch.imageIndices().size();
			return new StepReport(this.globalStep, totalSteps(), epoch, updated, parts.total().getFloat(),
					parts.cosine().getFloat(), parts.mse().getFloat(), rate, images,
					images / ((finished - started) / 1e9), (teacherDone - started) / 1e6,
					(finished - teacherDone) / 1e6);
		}
	}

	/**
	 * Writes what resuming needs: trained weights, optimizer moments and step counts,
	 * settings.
	 */
	public void save(Path file) throws IOException {
		List<TensorData> tensors = new ArrayList<>();
		for (Map.Entry<String, Parameter> entry : this.unlocked.entrySet()) {
			String name = entry.getKey();
			tensors.add(tensor("param." + name, entry.getValue().getArray()));
			tensors.add(tensor("adamw.m." + name, this.optimizer.firstMoments().get(name)));
			tensors.add(tensor("adamw.v." + name, this.optimizer.secondMoments().get(name)));
		}
		Map<String, String> metadata = new HashMap<>();
		metadata.put(STEP_KEY, Long.toString(this.globalStep));
		metadata.put("phreg.optimizer_steps", Long.toString(this.optimizer.stepCount()));
		metadata.put(SETTINGS_KEY, this.settings.toString());
		SafetensorsWriter.write(file, metadata, tensors);
	}

	private static TensorData tensor(String name, NDArray array) {
		return TensorData.ofFloats(name, array.getShape().getShape(), array.toFloatArray(), DType.F32);
	}

	/**
	 * Continues a saved run: this distiller must have been built with the same settings,
	 * teacher and images as the one that saved it.
	 */
	public void restore(Path file) throws IOException {
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			String saved = reader.metadata().get(SETTINGS_KEY);
			if (!this.settings.toString().equals(saved)) {
				throw new IllegalArgumentException("Checkpoint " + file + " was written by a run with other settings: "
						+ saved + "; this run has " + this.settings);
			}
			Map<String, float[]> first = new HashMap<>();
			Map<String, float[]> second = new HashMap<>();
			for (Map.Entry<String, Parameter> entry : this.unlocked.entrySet()) {
				String name = entry.getKey();
				entry.getValue().getArray().set(FloatBuffer.wrap(reader.readFloats("param." + name)));
				first.put(name, reader.readFloats("adamw.m." + name));
				second.put(name, reader.readFloats("adamw.v." + name));
			}
			this.optimizer.restore(Long.parseLong(reader.metadata().get("phreg.optimizer_steps")), first, second);
			this.globalStep = Long.parseLong(reader.metadata().get(STEP_KEY));
		}
	}

	@Override
	public void close() {
		this.optimizer.close();
	}

}
