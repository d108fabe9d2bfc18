package ai.phreg.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.checkpoint.LoadedModel;
import ai.phreg.model.Attention;
import ai.phreg.model.ForwardHooks;
import ai.phreg.model.GraphConstants;
import ai.phreg.model.TransformerBlock;
import ai.phreg.model.VisionTransformer;

/**
 * Which dense features PH-Reg distils for each family. DINOv2 and timm use the final-norm
 * patch tokens. CLIP's last block is built for the class token, so CLIP uses dense heads
 * in its place: the teacher NACLIP's "reduced" block (key-key attention plus a Gaussian
 * neighbourhood window, no residual, no MLP), the student a MaskCLIP-style value head
 * ({@code out_proj(v_proj(ln_1(x)))}); both then apply {@code ln_post} and {@code proj}.
 */
final class DenseHeads {

	/** NACLIP's default neighbourhood width, in patches. */
	static final double NACLIP_WINDOW_STD = 5.0;

	private DenseHeads() {
	}

	static DenseFeatures teacher(LoadedModel teacher) {
		return teacher(teacher, ForwardHooks.NONE);
	}

	/** The teacher's dense features with extra tokens and MLP hooks in its passes. */
	static DenseFeatures teacher(LoadedModel teacher, ForwardHooks hooks) {
		VisionTransformer model = teacher.model();
		return (teacher.format() == CheckpointFormat.CLIP_OPENAI) ? naclip(model, NACLIP_WINDOW_STD, hooks)
				: DenseFeatures.patchTokens(model, hooks);
	}

	static DenseFeatures student(CheckpointFormat format, VisionTransformer student) {
		return (format == CheckpointFormat.CLIP_OPENAI) ? valueHead(student) : DenseFeatures.patchTokens(student);
	}

	static DenseFeatures valueHead(VisionTransformer model) {
		return (store, pixels, training) -> {
			TransformerBlock last = model.block(model.config().depth() - 1);
			NDList heads = lastBlockHeads(model, store, pixels, training, ForwardHooks.NONE);
			NDArray values = last.attention().project(store, heads.get(2), training);
			return projectedPatches(model, store, values, pixels, training);
		};
	}

	static DenseFeatures naclip(VisionTransformer model, double windowStd) {
		return naclip(model, windowStd, ForwardHooks.NONE);
	}

	/**
	 * NACLIP over the sequence {@code hooks} gives; appended tokens follow CLIP's patches
	 * and, like the class token, get no neighbourhood bias.
	 */
	static DenseFeatures naclip(VisionTransformer model, double windowStd, ForwardHooks hooks) {
		return (store, pixels, training) -> {
			Attention attention = model.block(model.config().depth() - 1).attention();
			NDList heads = lastBlockHeads(model, store, pixels, training, hooks);
			NDArray keys = heads.get(1);
			int patch = model.config().patchSize();
			int gridHeight = (int) (pixels.getShape().get(2) / patch);
			int gridWidth = (int) (pixels.getShape().get(3) / patch);
			int tokens = (int) keys.getShape().get(2);
			NDArray window = GraphConstants.of(pixels.getManager(),
					neighbourhood(tokens, gridHeight, gridWidth, windowStd), new Shape(tokens, tokens),
					keys.getDataType());
			// (B, H, T, hd) x (B, H, hd, T) + (T, T) -> (B, H, T, T)
			NDArray weights = GraphConstants.times(keys, Attention.scale(keys))
				.matMul(keys.transpose(0, 1, 3, 2))
				.add(window)
				.softmax(-1);
			NDArray mixed = attention.project(store, weights.matMul(heads.get(2)), training);
			return projectedPatches(model, store, mixed, pixels, training);
		};
	}

	private static NDList lastBlockHeads(VisionTransformer model, ParameterStore store, NDArray pixels,
			boolean training, ForwardHooks hooks) {
		int last = model.config().depth() - 1;
		NDArray entering = model.encode(store, pixels, training, last, hooks);
		TransformerBlock block = model.block(last);
		return block.attention().heads(store, block.norm1().forward(store, entering, training), training);
	}

	/**
	 * {@code ln_post} and {@code proj} on every token, then the patch tokens
	 * {@code (B, N, out)}.
	 */
	private static NDArray projectedPatches(VisionTransformer model, ParameterStore store, NDArray tokens,
			NDArray pixels, boolean training) {
		NDArray projected = model.project(store, model.finalNorm().forward(store, tokens, training), training);
		int patch = model.config().patchSize();
		long patches = (pixels.getShape().get(2) / patch) * (pixels.getShape().get(3) / patch);
		// CLIP keeps registers after the patches: [CLS, patches, registers]
		return projected.get(":, 1:" + (1 + patches) + ", :");
	}

	/**
	 * NACLIP's attention bias {@code (T, T)}: {@code exp(-d²/(2σ²))} between patch tokens
	 * at grid distance d, zero for rows and columns of the class token (and any token
	 * after the patches).
	 */
	static float[] neighbourhood(int tokens, int gridHeight, int gridWidth, double std) {
		float[] window = new float[tokens * tokens];
		int patches = gridHeight * gridWidth;
		for (int i = 0; i < patches; i++) {
			for (int j = 0; j < patches; j++) {
				int dy = i / gridWidth - j / gridWidth;
				int dx = i % gridWidth - j % gridWidth;
				window[(1 + i) * tokens + (1 + j)] = (float) Math.exp(-(dy * dy + dx * dx) / (2 * std * std));
			}
		}
		return window;
	}

}
