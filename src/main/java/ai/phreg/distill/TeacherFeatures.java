package ai.phreg.distill;

import java.util.IdentityHashMap;
import java.util.Map;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.phreg.checkpoint.LoadedModel;

/**
 * The frozen teacher's dense features ({@link DenseHeads#teacher}) computed in a
 * {@link TeacherPrecision}. In a half format the teacher's weights are cast once, when
 * the run starts, and kept beside the float32 ones (the student starts from those, and
 * evaluation uses them); every pass casts its view pixels in and the features back out to
 * float32, so recovery and averaging stay in float32.
 */
final class TeacherFeatures implements AutoCloseable {

	private final LoadedModel teacher;

	/** The number type of the cast weights; null in float32. */
	private final DataType type;

	/** The cast copy of every teacher parameter; empty in float32. */
	private final Map<Parameter, NDArray> cast;

	/** Owns the cast weights; null in float32, which uses the teacher's own. */
	private final NDManager castWeights;

	private TeacherFeatures(LoadedModel teacher, DataType type, Map<Parameter, NDArray> cast, NDManager castWeights) {
		this.teacher = teacher;
		this.type = type;
		this.cast = cast;
		this.castWeights = castWeights;
	}

	/**
	 * The teacher's features in {@code precision}, refused where the device cannot run it
	 * fast ({@link TeacherPrecision#requireSupported}).
	 * @param manager where the cast weights live until {@link #close}
	 */
	static TeacherFeatures of(LoadedModel teacher, TeacherPrecision precision, NDManager manager) {
		precision.requireSupported(manager.getDevice());
		return unchecked(teacher, precision, manager);
	}

	/** {@link #of} without asking the hardware: for tests on any CPU. */
	static TeacherFeatures unchecked(LoadedModel teacher, TeacherPrecision precision, NDManager manager) {
		if (precision == TeacherPrecision.FP32) {
			return new TeacherFeatures(teacher, null, Map.of(), null);
		}
		DataType type = precision.dataType();
		NDManager castWeights = manager.newSubManager();
		Map<Parameter, NDArray> cast = new IdentityHashMap<>();
		for (Pair<String, Parameter> parameter : teacher.model().getParameters()) {
			NDArray value = parameter.getValue().getArray().toType(type, true);
			value.attach(castWeights);
			cast.put(parameter.getValue(), value);
		}
		return new TeacherFeatures(teacher, type, cast, castWeights);
	}

	/** The teacher's dense features ({@link DenseHeads#teacher}) in this precision. */
	DenseFeatures features() {
		return in(DenseHeads.teacher(this.teacher));
	}

	/**
	 * {@code full}, features computed from this teacher's parameters (a dense head, hooks
	 * and all), in this precision.
	 */
	DenseFeatures in(DenseFeatures full) {
		if (this.type == null) {
			return full;
		}
		return (store, pixels, training) -> {
			NDArray features = full.of(new CastStore(store.getManager(), this.cast), pixels.toType(this.type, false),
					training);
			return features.toType(DataType.FLOAT32, false);
		};
	}

	@Override
	public void close() {
		if (this.castWeights != null) {
			this.castWeights.close();
		}
	}

	/** Hands out the cast copy of every teacher parameter in place of the original. */
	private static final class CastStore extends ParameterStore {

		private final Map<Parameter, NDArray> cast;

		CastStore(NDManager manager, Map<Parameter, NDArray> cast) {
			super(manager, false);
			this.cast = cast;
		}

		@Override
		public NDArray getValue(Parameter parameter, Device device, boolean training) {
			NDArray value = this.cast.get(parameter);
			return (value != null) ? value : super.getValue(parameter, device, training);
		}

	}

}
