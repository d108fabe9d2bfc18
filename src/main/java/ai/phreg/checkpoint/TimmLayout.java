package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.List;

import ai.phreg.image.Normalization;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * What timm's checkpoints share whatever the model class ({@code VisionTransformer},
 * {@code Eva}): model arguments under {@code model_args} in its hub configs (flat in
 * others), a {@code pretrained_cfg} with the preprocessing, and a position embedding that
 * has a row for every prefix token (class and registers) unless {@code no_embed_class}.
 * <p>
 * phreg gives registers no position embedding, so register rows are written as zeros,
 * which is exactly that, and only zero rows are read back.
 */
final class TimmLayout {

	private TimmLayout() {
	}

	/**
	 * The key of a model argument in timm's hub config ({@code model_args}) or a flat
	 * config.
	 */
	static String setting(SidecarConfig sidecar, String key) {
		return sidecar.first("model_args." + key, key);
	}

	/**
	 * The position embedding {@code [1, rows, D]} without the {@code registers} rows from
	 * row {@code first} (after the class row, if any), which must be zero for phreg's
	 * model to compute what timm computes.
	 */
	static TensorSource withoutRegisterRows(TensorSource source, int first, int registers) {
		long[] shape = source.shape();
		// [1, rows, D] -> [rows, D] to take rows, and back without the register rows
		TensorSource table = source.reshaped(shape[1], shape[2]);
		TensorSource registerRows = TensorSource.rows(table, first, first + registers);
		TensorSource kept = TensorSource
			.concatRows(
					List.of(TensorSource.rows(table, 0, first), TensorSource.rows(table, first + registers, shape[1])))
			.reshaped(shape[0], shape[1] - registers, shape[2]);
		int dim = (int) shape[2];
		return new TensorSource() {
			@Override
			public long[] shape() {
				return kept.shape();
			}

			@Override
			public String name() {
				return source.name();
			}

			@Override
			public void readInto(long from, FloatBuffer target) throws IOException {
				float[] registerValues = registerRows.read();
				for (int i = 0; i < registerValues.length; i++) {
					if (registerValues[i] != 0f) {
						throw new InvalidCheckpointException("timm pos_embed gives register token " + (i / dim)
								+ " a non-zero position embedding; phreg's models give registers none, so this "
								+ "checkpoint cannot be loaded exactly (only zero rows, as phreg exports, can)");
					}
				}
				kept.readInto(from, target);
			}
		};
	}

	/**
	 * Writes the position embedding {@code [1, rows, D]} with {@code registers} zero rows
	 * inserted at row {@code first}.
	 */
	static void addWithZeroRegisterRows(String key, long[] shape, float[] values, int first, int registers,
			TensorSink sink) {
		int dim = (int) shape[2];
		float[] withRegisters = new float[values.length + registers * dim];
		System.arraycopy(values, 0, withRegisters, 0, first * dim);
		System.arraycopy(values, first * dim, withRegisters, (first + registers) * dim, values.length - first * dim);
		sink.add(key, new long[] { shape[0], shape[1] + registers, dim }, withRegisters);
	}

	/**
	 * The top of a timm hub {@code config.json}: the registered {@code architecture}, no
	 * classifier, {@code pretrained_cfg} with phreg's preprocessing and the
	 * {@code model_args} every timm ViT takes (size, patch, width, depth, heads); the
	 * caller adds its model's own.
	 */
	static ObjectNode hubConfig(String architecture, String globalPool, ViTConfig config, Normalization normalization) {
		ObjectNode json = ConfigJson.object();
		json.put("architecture", architecture);
		json.put("num_classes", 0);
		json.put("num_features", config.embedDim());
		json.put("global_pool", globalPool);
		ObjectNode args = json.putObject("model_args");
		args.put("img_size", config.imageSize());
		args.put("patch_size", config.patchSize());
		args.put("embed_dim", config.embedDim());
		args.put("depth", config.depth());
		args.put("num_heads", config.numHeads());
		ObjectNode pretrained = json.putObject("pretrained_cfg");
		pretrained.putArray("input_size").add(3).add(config.imageSize()).add(config.imageSize());
		ConfigJson.decimals(pretrained.putArray("mean"), normalization.mean());
		ConfigJson.decimals(pretrained.putArray("std"), normalization.std());
		pretrained.put("num_classes", 0);
		// phreg's preprocessing: bicubic resize of the shorter side to the input size,
		// then a centre crop of all of it.
		pretrained.put("interpolation", "bicubic");
		pretrained.put("crop_pct", 1.0);
		pretrained.put("crop_mode", "center");
		pretrained.put("architecture", architecture);
		return json;
	}

	static boolean isSquare(long count) {
		long side = Math.round(Math.sqrt(count));
		return side * side == count;
	}

}
