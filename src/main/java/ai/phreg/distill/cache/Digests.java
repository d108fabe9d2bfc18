package ai.phreg.distill.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.phreg.image.RgbImage;
import ai.phreg.model.VisionTransformer;

/**
 * SHA-256 digests of what decides a teacher target: the teacher's weights and the image's
 * pixels. Digests of contents rather than of file names or paths, so a renamed or copied
 * image or checkpoint still finds its targets, and a changed one never finds stale ones.
 */
public final class Digests {

	private Digests() {
	}

	/** The digest of an image's size and pixels. */
	public static String ofImage(RgbImage image) {
		MessageDigest digest = sha256();
		digest.update(ByteBuffer.allocate(8).putInt(image.width()).putInt(image.height()).flip());
		digest.update(image.pixels());
		return HexFormat.of().formatHex(digest.digest());
	}

	/** The digest of every parameter of a model: names, shapes and values. */
	public static String ofModel(VisionTransformer model) {
		MessageDigest digest = sha256();
		for (Pair<String, Parameter> parameter : model.getParameters()) {
			NDArray array = parameter.getValue().getArray();
			digest.update((parameter.getKey() + array.getShape()).getBytes(StandardCharsets.UTF_8));
			float[] values = array.toFloatArray();
			ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
			bytes.asFloatBuffer().put(values);
			digest.update(bytes);
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	/** The digest of a text, such as a cache key. */
	public static String ofText(String text) {
		return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
	}

	private static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every Java platform provides SHA-256", ex);
		}
	}

}
