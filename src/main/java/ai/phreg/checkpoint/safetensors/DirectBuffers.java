package ai.phreg.checkpoint.safetensors;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Releases a file mapping or a direct buffer as soon as it has served. Java 17 has no
 * public way to do so: a mapped or direct buffer keeps its memory until the collector
 * finds it unreachable, and every page read through a mapping stays resident in the
 * process until then, so loading a checkpoint would hold the file (its touched pages) and
 * the model at once. {@code sun.misc.Unsafe.invokeCleaner} (module
 * {@code jdk.unsupported}, in every JDK and JRE image) is the supported way to release
 * one eagerly; it is looked up reflectively so the code compiles without internal-API
 * warnings.
 * <p>
 * Only a buffer that nothing else can still reach may be given here, and only the one
 * {@code map} or {@code allocateDirect} returned, not a slice or duplicate of it:
 * touching a released buffer crashes the JVM.
 */
public final class DirectBuffers {

	private static final MethodHandle INVOKE_CLEANER = invokeCleaner();

	private DirectBuffers() {
	}

	/** Unmaps or frees {@code buffer} now; it must not be used afterwards. */
	public static void release(ByteBuffer buffer) {
		try {
			INVOKE_CLEANER.invokeExact(buffer);
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("Could not release a direct buffer", ex);
		}
	}

	private static MethodHandle invokeCleaner() {
		try {
			Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
			Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
			theUnsafe.setAccessible(true);
			MethodHandle method = MethodHandles.lookup()
				.findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class));
			return method.bindTo(theUnsafe.get(null));
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			throw new ExceptionInInitializerError(
					"This Java runtime cannot release direct buffers (module jdk.unsupported missing?): " + ex);
		}
	}

}
