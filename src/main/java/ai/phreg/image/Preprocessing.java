package ai.phreg.image;

import java.util.Objects;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The evaluation transform shared by DINOv2, PH-Reg and CLIP:
 * {@code Resize(shorter side, BICUBIC) -> CenterCrop(H, W) -> ToTensor() -> Normalize}.
 * One value object describes a model's input so that the exact reference recipe travels
 * with the model configuration instead of being rebuilt by every caller.
 * <p>
 * Images are converted to RGB when decoded ({@link ImageLoader}), i.e. before resizing,
 * as the DINOv2/PH-Reg dataset loaders do with {@code Image.open(f).convert("RGB")}. For
 * RGB and greyscale sources that equals CLIP's order (convert after cropping); it differs
 * only for palette or alpha images, which CLIP would resize in their own mode.
 *
 * @param resizeShorterSide length the shorter image side is scaled to
 * @param cropHeight height of the centered crop
 * @param cropWidth width of the centered crop
 * @param normalization channel statistics
 */
public record Preprocessing(int resizeShorterSide, int cropHeight, int cropWidth, Normalization normalization) {

	public Preprocessing {
		if (resizeShorterSide <= 0 || cropHeight <= 0 || cropWidth <= 0) {
			throw new IllegalArgumentException("Sizes must be positive, got resize " + resizeShorterSide + ", crop "
					+ cropHeight + "x" + cropWidth + " (HxW)");
		}
		Objects.requireNonNull(normalization, "normalization");
	}

	/**
	 * The CLIP-style transform: resize the shorter side to {@code size} and crop a square
	 * of that size.
	 * @param size side length
	 * @param normalization channel statistics
	 * @return the preprocessing
	 */
	public static Preprocessing square(int size, Normalization normalization) {
		return new Preprocessing(size, size, size, normalization);
	}

	/**
	 * Runs the geometric part only, giving the 8-bit image the model will see (the
	 * reference's {@code raw_uint8}).
	 * @param image the decoded image
	 * @return the resized and cropped image
	 */
	public RgbImage resizeAndCrop(RgbImage image) {
		return Crop.center(BicubicResize.resizeShorterSide(image, this.resizeShorterSide), this.cropHeight,
				this.cropWidth);
	}

	/**
	 * Runs the whole transform.
	 * @param image the decoded image
	 * @return {@code [3, cropHeight, cropWidth]} float32 values, flattened channel-major
	 */
	public float[] apply(RgbImage image) {
		return this.normalization.toChw(resizeAndCrop(image));
	}

	/**
	 * Runs the whole transform and wraps the result as a model input.
	 * @param manager the manager that will own the array
	 * @param image the decoded image
	 * @return a float32 tensor of shape {@code [1, 3, cropHeight, cropWidth]}
	 */
	public NDArray toPixelTensor(NDManager manager, RgbImage image) {
		return manager.create(apply(image), new Shape(1, 3, this.cropHeight, this.cropWidth));
	}

}
