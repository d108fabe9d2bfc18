/**
 * Measures and pictures how much a Vision Transformer suffers from artifact tokens, so a
 * teacher and its register-retrofitted student can be compared on the same footing.
 * <p>
 * Artifact tokens are the few patch tokens a large ViT hijacks as scratch space: their
 * norm is about ten times the median and they no longer describe their patch. The figures
 * here quantify exactly that (norm outliers, where they sit on the grid, how much they
 * break the smoothness of the feature map, how far a student still is from its denoised
 * target) from plain dense features, {@code float[N*D]} per image, so they run without
 * DJL, Spring or a model.
 */
package ai.phreg.metrics;
