package ai.phreg.distill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import ai.djl.ndarray.NDManager;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.distill.cache.Digests;
import ai.phreg.distill.registers.RegisterNeuronSearch;
import ai.phreg.distill.registers.RegisterNeurons;
import ai.phreg.distill.registers.TestTimeRegisters;
import ai.phreg.image.Preprocessing;
import ai.phreg.imagesource.ImageSource;
import ai.phreg.model.ForwardHooks;

/**
 * The teacher as a run's {@link TargetSource} uses it: which dense features it gives,
 * which views each image is shown in, and what of it a cached target depends on. With
 * test-time registers the register neurons are found first, on the training images
 * (center crops at the training resolution) with the family's defaults
 * ({@link RegisterNeuronSearch#defaults}).
 */
public final class TargetTeacher implements AutoCloseable {

	private static final System.Logger LOG = System.getLogger(TargetTeacher.class.getName());

	private final DistillSettings settings;

	private final TeacherFeatures precision;

	private final DenseFeatures features;

	private final RegisterNeurons.Found registerNeurons;

	private final String cacheKey;

	private TargetTeacher(DistillSettings settings, TeacherFeatures precision, DenseFeatures features,
			RegisterNeurons.Found registerNeurons, String cacheKey) {
		this.settings = settings;
		this.precision = precision;
		this.features = features;
		this.registerNeurons = registerNeurons;
		this.cacheKey = cacheKey;
	}

	/**
	 * @param execution the precision the teacher computes in (its cast weights live in
	 * {@code manager} until {@link #close}) and the register neurons when they were found
	 * beforehand
	 * @throws IllegalArgumentException when the device cannot run the precision
	 */
	static TargetTeacher of(DistillSettings settings, LoadedModel teacher, ImageSource images,
			ExecutionSettings execution, NDManager manager) {
		TeacherFeatures inPrecision = TeacherFeatures.of(teacher, execution.teacherPrecision(), manager);
		if (!settings.targets().usesTestTimeRegisters()) {
			return new TargetTeacher(settings, inPrecision, inPrecision.features(), null, "");
		}
		RegisterNeurons.Found found = (execution.registerNeurons() != null) ? execution.registerNeurons()
				: findRegisterNeurons(settings, teacher, images, manager, () -> false);
		LOG.log(System.Logger.Level.INFO, "Test-time registers on " + found.neurons().size() + " register neurons "
				+ found.perLayer() + " (threshold " + found.threshold() + ")");
		TestTimeRegisters registers = new TestTimeRegisters(found.neurons(), TestTimeRegisters.DEFAULT_TOKENS);
		String neurons = found.neurons()
			.stream()
			.map((neuron) -> neuron.layer() + ":" + neuron.neuron())
			.collect(Collectors.joining(","));
		return new TargetTeacher(settings, inPrecision, inPrecision.in(DenseHeads.teacher(teacher, registers.hooks())),
				found, "/" + settings.targets().label() + ":" + registers.tokens() + ":" + Digests.ofText(neurons));
	}

	/**
	 * The teacher's register neurons as a run with test-time registers finds them: on the
	 * training images, center-cropped at the training resolution, with the family's
	 * search ({@link RegisterNeuronSearch#defaults}).
	 * @param stopRequested asked before every image
	 * @throws java.util.concurrent.CancellationException when {@code stopRequested} said
	 * so
	 */
	public static RegisterNeurons.Found findRegisterNeurons(DistillSettings settings, LoadedModel teacher,
			ImageSource images, NDManager manager, BooleanSupplier stopRequested) {
		RegisterNeuronSearch search = RegisterNeuronSearch.defaults(teacher.format(), teacher.model().config());
		try {
			return RegisterNeurons.find(teacher.model(),
					Preprocessing.square(settings.resolution(), teacher.normalization()), images, search, manager,
					stopRequested);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot find the teacher's register neurons", ex);
		}
	}

	/** The teacher's dense features, with test-time registers when the source says. */
	DenseFeatures features() {
		return this.features;
	}

	/** The register neurons found, null for {@link TargetSource#TTA}. */
	RegisterNeurons.Found registerNeurons() {
		return this.registerNeurons;
	}

	/**
	 * What a cached target depends on beyond the teacher's weights and head: empty for
	 * {@link TargetSource#TTA} (so existing caches stay valid), else the source, the
	 * extra tokens and the neurons.
	 */
	String cacheKey() {
		return this.cacheKey;
	}

	/**
	 * The views of image {@code index} in crop round {@code round}: the identity alone
	 * for {@link TargetSource#TEST_TIME_REGISTERS}.
	 */
	TtaPlan plan(int grid, long round, int index) {
		return (this.settings.targets() == TargetSource.TEST_TIME_REGISTERS) ? new TtaPlan(List.of(TtaView.IDENTITY))
				: Distiller.plan(this.settings, grid, round, index);
	}

	/** Teacher views per image. */
	int views() {
		return (this.settings.targets() == TargetSource.TEST_TIME_REGISTERS) ? 1 : this.settings.views();
	}

	@Override
	public void close() {
		this.precision.close();
	}

}
