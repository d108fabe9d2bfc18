package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import ai.phreg.imagesource.SkippedImage;
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
import ai.phreg.distill.registers.RegisterNeurons;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.model.ArrayValues;
import ai.phreg.model.VisionTransformer;

/**
 * Runs PH-Reg: each step computes denoised targets with the frozen teacher over all
 * test-time views, trains the student's unlocked parameters towards them with AdamW, and
 * reports progress. A run can be saved after any step and resumed exactly, in another
 * process, from the seed, the step count and the saved weights and optimizer moments:
 * every random choice is derived from the seed and the position ({@link Seeds}). Resumed
 * bits equal uninterrupted ones when both ran with the same libtorch thread count, which
 * {@link Determinism#EXACT} guarantees.
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

	private static final String DRAWS_KEY = "phreg.draws";

	private static final String PER_EPOCH = "per epoch";

	private final DistillSettings settings;

	private final LoadedModel teacher;

	private final VisionTransformer student;

	private final NDManager manager;

	private final ImageSource images;

	private final TrainingBatches batches;

	private final LearningRateSchedule schedule;

	private final DenoisedTargets denoiser;

	private final TargetTeacher targetTeacher;

	private final DistillationLoss loss;

	private final Map<String, Parameter> unlocked = new LinkedHashMap<>();

	private final AdamW optimizer;

	private final ExecutionSettings execution;

	/** Null when targets are computed every step. */
	private final CachedTargets cachedTargets;

	private final Prefetcher<StepInputs> prefetcher;

	private long globalStep;

	/**
	 * A run with the default execution: chunked teacher passes, prefetching, no target
	 * cache.
	 * @param settings what to run
	 * @param teacher the frozen teacher, which also provides the student's starting
	 * weights
	 * @param images the training images
	 * @param manager where the student and optimizer state live; closed by the caller
	 */
	public Distiller(DistillSettings settings, LoadedModel teacher, ImageSource images, NDManager manager) {
		this(settings, ExecutionSettings.DEFAULT, teacher, images, manager);
	}

	/**
	 * @param settings what to run
	 * @param execution how: teacher chunk, prefetching, target cache
	 * @param teacher the frozen teacher, which also provides the student's starting
	 * weights
	 * @param images the training images
	 * @param manager where the student and optimizer state live; closed by the caller
	 * @throws IllegalArgumentException when the resolution does not fit the patch size,
	 * the device cannot run the teacher precision, or the target cache would exceed its
	 * cap and the settings say to refuse
	 */
	public Distiller(DistillSettings settings, ExecutionSettings execution, LoadedModel teacher, ImageSource images,
			NDManager manager) {
		int patch = teacher.model().config().patchSize();
		if (settings.resolution() % patch != 0) {
			throw new IllegalArgumentException(
					"Resolution " + settings.resolution() + " is not a multiple of the patch size " + patch);
		}
		this.settings = settings;
		this.execution = execution;
		this.teacher = teacher;
		this.manager = manager;
		this.student = StudentFactory.create(teacher, settings.registers(),
				Seeds.derive(settings.seed(), REGISTER_INIT), manager);
		for (Parameter parameter : settings.unlock().apply(this.student)) {
			this.unlocked.put(nameOf(parameter), parameter);
		}
		this.optimizer = new AdamW(this.unlocked, (float) settings.weightDecay());
		this.images = images;
		this.batches = new TrainingBatches(images, settings.resolution(), teacher.normalization(), settings.batchSize(),
				settings.seed(), IMAGE_CACHE_BYTES);
		this.schedule = LearningRateSchedule.forSteps(settings.learningRate(), settings.endLearningRate(),
				settings.steps(), this.batches.stepsPerEpoch());
		this.denoiser = new DenoisedTargets(patch, teacher.normalization());
		this.targetTeacher = TargetTeacher.of(settings, teacher, images, execution, manager);
		this.loss = new DistillationLoss(settings.mseWeight());
		this.cachedTargets = TargetCachePlanner.plan(settings, execution, teacher, this.targetTeacher.cacheKey(),
				images.size(), this.denoiser, manager);
		this.prefetcher = new Prefetcher<>(this::inputs);
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

	public ExecutionSettings execution() {
		return this.execution;
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
	 * Decodes and resizes the training images before the first step rather than as
	 * batches first draw them (as far as the image cache holds them): for benchmarks,
	 * which time steps without decoding, as the reference does.
	 */
	public void decodeImages() {
		this.batches.decodeAll();
	}

	/**
	 * Images skipped because they could not be read, by source index, with the reason.
	 */
	public Map<Integer, String> unreadableImages() {
		return this.batches.unreadable();
	}

	/**
	 * Every training image left out so far, by name, with the reason, in name order:
	 * those the source skipped when it was scanned (unsafe links, special files, other
	 * formats) and those that failed to decode during training. What
	 * {@link #unreadableImages()} counts is among them.
	 */
	public List<SkippedImage> skippedImages() {
		List<SkippedImage> skipped = new ArrayList<>(this.images.skipped());
		this.batches.unreadable()
			.forEach((index, reason) -> skipped.add(new SkippedImage(this.images.name(index), reason)));
		skipped.sort(Comparator.comparing(SkippedImage::name));
		return skipped;
	}

	/**
	 * Runs up to {@code maxSteps} steps, fewer when the run finishes or the thread is
	 * interrupted; returns the number of steps run.
	 */
	public long run(long maxSteps, ProgressListener listener) {
		return run(maxSteps, listener, () -> false);
	}

	/**
	 * Runs up to {@code maxSteps} steps, fewer when the run finishes, the thread is
	 * interrupted or {@code stopRequested}, asked before every step, says so; returns the
	 * number of steps run.
	 */
	public long run(long maxSteps, ProgressListener listener, BooleanSupplier stopRequested) {
		long done = 0;
		while (done < maxSteps && !isFinished() && !Thread.currentThread().isInterrupted()
				&& !stopRequested.getAsBoolean()) {
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
		return this.execution.determinism().apply(this::train);
	}

	private StepReport train() {
		// Grad mode is per thread in libtorch: the teacher and the optimizer's in-place
		// updates must run without it, whichever thread trains.
		JniUtils.setGradMode(false);
		long epoch = this.globalStep / this.batches.stepsPerEpoch();
		float rate = this.schedule.rateAt(this.globalStep);
		PhaseTimes times = new PhaseTimes();
		long started = System.nanoTime();
		try (StepInputs inputs = this.prefetcher.take(this.globalStep)) {
			if (this.execution.prefetch() && this.globalStep + 1 < totalSteps()) {
				this.prefetcher.request(this.globalStep + 1);
			}
			// Time waited here; work done ahead on the other thread is in the inputs'
			// times.
			long mark = times.record(StepPhase.DATA, started);
			times.add(inputs.times());
			TrainingBatches.Batch batch = inputs.batch();
			if (batch == null) {
				this.globalStep++;
				return null;
			}
			ParameterStore store = new ParameterStore(inputs.owner(), false);
			NDArray targets = inputs.targets();
			long hits = inputs.cacheHits();
			if (targets == null) {
				CachedTargets.Read read = targets(batch, plans(batch, epoch), store, times);
				targets = read.values();
				hits = read.hits();
				mark = System.nanoTime();
			}
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
			mark = times.record(StepPhase.STUDENT_FWD_BWD, mark);
			boolean updated = this.optimizer.step(rate);
			long finished = times.record(StepPhase.OPTIMIZER, mark);
			this.globalStep++;
			int images = batch.samples().size();
			return new StepReport(this.globalStep, totalSteps(), epoch, updated, parts.total().getFloat(),
					parts.cosine().getFloat(), parts.mse().getFloat(), rate, images,
					images / ((finished - started) / 1e9), times.teacherSeconds() * 1e3,
					(times.seconds(StepPhase.STUDENT_FWD_BWD) + times.seconds(StepPhase.OPTIMIZER)) * 1e3, times,
					(images - hits) * this.targetTeacher.views(), hits);
		}
	}

	/**
	 * The inputs of the step at {@code position}: the batch, and its targets too with
	 * {@link ExecutionSettings#teacherAhead()} or when the target cache holds them all.
	 * Runs on the prefetch thread when it was requested ahead; the teacher is frozen and
	 * every random choice is seeded by position, so the result is the same on any thread
	 * at any time.
	 */
	private StepInputs inputs(long position) {
		return this.execution.determinism().apply(() -> prepareInputs(position));
	}

	private StepInputs prepareInputs(long position) {
		JniUtils.setGradMode(false);
		PhaseTimes times = new PhaseTimes();
		long started = System.nanoTime();
		long stepsPerEpoch = this.batches.stepsPerEpoch();
		long epoch = position / stepsPerEpoch;
		TrainingBatches.PreparedBatch prepared = this.batches.prepare(epoch, position % stepsPerEpoch, round(epoch));
		NDManager owner = this.manager.newSubManager();
		try {
			TrainingBatches.Batch batch = prepared.toBatch(owner);
			times.record(StepPhase.DATA, started);
			if (batch == null) {
				return new StepInputs(owner, null, null, times, 0);
			}
			List<TtaPlan> plans = plans(batch, epoch);
			// A cached step is the student alone: reading its targets here keeps the
			// training thread on the student.
			boolean readAhead = this.cachedTargets != null && this.cachedTargets.holdsAll(batch, plans);
			if (!this.execution.teacherAhead() && !readAhead) {
				return new StepInputs(owner, batch, null, times, 0);
			}
			CachedTargets.Read read = targets(batch, plans, new ParameterStore(owner, false), times);
			return new StepInputs(owner, batch, read.values(), times, read.hits());
		}
		catch (RuntimeException | Error ex) {
			owner.close();
			throw ex;
		}
	}

	/** The test-time views of each image of a batch drawn in {@code epoch}. */
	private List<TtaPlan> plans(TrainingBatches.Batch batch, long epoch) {
		int grid = this.settings.resolution() / this.teacher.model().config().patchSize();
		long round = round(epoch);
		List<TtaPlan> plans = new ArrayList<>();
		for (int index : batch.imageIndices()) {
			plans.add(this.targetTeacher.plan(grid, round, index));
		}
		return plans;
	}

	/** The denoised targets of a batch, through the cache if there is one. */
	private CachedTargets.Read targets(TrainingBatches.Batch batch, List<TtaPlan> plans, ParameterStore store,
			PhaseTimes times) {
		DenseFeatures teacherFeatures = this.targetTeacher.features();
		return (this.cachedTargets != null)
				? this.cachedTargets.compute(teacherFeatures, store, batch, plans, this.execution.teacherChunk(), times)
				: new CachedTargets.Read(this.denoiser.compute(teacherFeatures, store, batch.pixels(), plans,
						this.execution.teacherChunk(), times), 0);
	}

	/** The test-time views of image {@code index} in crop round {@code round}. */
	static TtaPlan plan(DistillSettings settings, int grid, long round, int index) {
		return TtaPlan.sample(grid, settings.shiftFraction(), settings.views(),
				Seeds.derive(settings.seed(), VIEWS, round, index));
	}

	/**
	 * Which crops and plans an epoch draws: its own without a cache, as the authors do;
	 * with one, the view set it cycles to.
	 */
	private long round(long epoch) {
		return (this.cachedTargets != null) ? epoch % this.execution.targetCache().viewSets() : epoch;
	}

	/**
	 * How crops and plans are drawn, which a resumed run must repeat: per epoch, or
	 * cycling through the cache's view sets.
	 */
	private String draws() {
		return (this.cachedTargets != null) ? "from " + this.execution.targetCache().viewSets() + " view sets"
				: PER_EPOCH;
	}

	/**
	 * The teacher's register neurons this run's test-time registers use, null when its
	 * targets come from test-time augmentation alone.
	 */
	public RegisterNeurons.Found registerNeurons() {
		return this.targetTeacher.registerNeurons();
	}

	/** Whether denoised targets are read from and written to a cache in this run. */
	public boolean isTargetCacheActive() {
		return this.cachedTargets != null;
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
		metadata.put(DRAWS_KEY, draws());
		SafetensorsWriter.write(file, metadata, tensors);
	}

	private static TensorData tensor(String name, NDArray array) {
		return TensorData.ofFloats(name, array.getShape().getShape(), array.toFloatArray(), DType.F32);
	}

	/**
	 * Whether a checkpoint's settings text is {@code settings}: checkpoints written
	 * before the targets option existed end at the seed, and ran the paper's targets.
	 */
	private static boolean sameSettings(String saved, DistillSettings settings) {
		String text = settings.toString();
		return text.equals(saved) || (settings.targets() == TargetSource.TTA
				&& text.replace(", targets=" + TargetSource.TTA + "]", "]").equals(saved));
	}

	/**
	 * Continues a saved run: this distiller must have been built with the same settings,
	 * teacher and images as the one that saved it.
	 */
	public void restore(Path file) throws IOException {
		try (SafetensorsReader reader = SafetensorsReader.open(file)) {
			String saved = reader.metadata().get(SETTINGS_KEY);
			if (!sameSettings(saved, this.settings)) {
				throw new IllegalArgumentException("Checkpoint " + file + " was written by a run with other settings: "
						+ saved + "; this run has " + this.settings);
			}
			String savedDraws = reader.metadata().getOrDefault(DRAWS_KEY, PER_EPOCH);
			if (!draws().equals(savedDraws)) {
				throw new IllegalArgumentException("Checkpoint " + file + " was written by a run whose crops and views"
						+ " were drawn " + savedDraws + "; this run draws them " + draws()
						+ ". Resume with the target cache and view sets it had.");
			}
			Map<String, float[]> first = new HashMap<>();
			Map<String, float[]> second = new HashMap<>();
			for (Map.Entry<String, Parameter> entry : this.unlocked.entrySet()) {
				String name = entry.getKey();
				ArrayValues.copyInto(entry.getValue().getArray(), reader.readFloats("param." + name));
				first.put(name, reader.readFloats("adamw.m." + name));
				second.put(name, reader.readFloats("adamw.v." + name));
			}
			this.optimizer.restore(Long.parseLong(reader.metadata().get("phreg.optimizer_steps")), first, second);
			this.globalStep = Long.parseLong(reader.metadata().get(STEP_KEY));
		}
	}

	@Override
	public void close() {
		this.prefetcher.close();
		this.optimizer.close();
		this.targetTeacher.close();
	}

}
