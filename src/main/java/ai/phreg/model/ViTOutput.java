package ai.phreg.model;

import java.util.List;

import ai.djl.ndarray.NDArray;

/**
 * Everything one forward pass of a {@link VisionTransformer} produces. Token sequences
 * follow the model's own order: {@code [CLS, registers, patches]} or, for registers
 * placed after the patches, {@code [CLS, patches, registers]}.
 *
 * @param patchEmbeddings the patch projections before any position embedding
 * {@code (B, N, D)}
 * @param positionEmbedding the position embedding actually added, resampled to this
 * input's grid {@code (1, N or 1+N, D)}, null for models without one (DINOv3)
 * @param embeddings the token sequence before the optional pre-norm {@code (B, T, D)}
 * @param hiddenStates the sequence entering block 0, then the output of each block
 * {@code L+1 × (B, T, D)}; empty unless requested
 * @param prenormTokens the output of the last block {@code (B, T, D)}
 * @param tokens every token after the final norm {@code (B, T, D)}
 * @param classToken the normalized class token {@code (B, D)}, null for models without
 * one (SigLIP)
 * @param registerTokens the normalized register tokens {@code (B, R, D)}, null without
 * registers
 * @param patchTokens the normalized patch tokens {@code (B, N, D)}, row-major over the
 * grid
 * @param projectedClassToken CLIP's image embedding {@code (B, out)}, null without
 * projection
 * @param pooled the model's image vector {@code (B, D)} (see {@link Pooling})
 * @param gridHeight patch rows of this input
 * @param gridWidth patch columns of this input
 */
public record ViTOutput(NDArray patchEmbeddings, NDArray positionEmbedding, NDArray embeddings,
		List<NDArray> hiddenStates, NDArray prenormTokens, NDArray tokens, NDArray classToken, NDArray registerTokens,
		NDArray patchTokens, NDArray projectedClassToken, NDArray pooled, int gridHeight, int gridWidth) {
}
