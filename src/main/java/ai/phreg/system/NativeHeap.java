package ai.phreg.system;

import java.util.List;
import java.util.Map;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Keeps glibc's allocator from handing libtorch's freed tensor memory back to the kernel
 * between training steps.
 * <p>
 * A step allocates and frees the same few dozen activation buffers (1 to 4 MB each at 224
 * px) every time. With glibc's defaults a buffer above a sliding threshold is mapped
 * fresh and unmapped when freed, and the free top of each thread's heap is trimmed, so
 * step after step faults its buffers in again page by page. On the shared VMs that was a
 * third of a cached step (bench/README.md, "Native heap"). Raising the mmap threshold to
 * glibc's ceiling for {@code mallopt} (32 MB) and the trim threshold to 1 GB lets the
 * next step reuse what the last one freed; resident memory stays at the steps' high-water
 * mark instead of rising and falling by it.
 * <p>
 * Left alone when the environment sets a threshold itself ({@code MALLOC_*_THRESHOLD_},
 * {@code MALLOC_TOP_PAD_}, {@code MALLOC_MMAP_MAX_} or the same {@code GLIBC_TUNABLES}),
 * when {@code phreg.native-heap.retain=false}, and where there is no glibc (musl, macOS).
 */
public final class NativeHeap {

	/** glibc's largest accepted {@code M_MMAP_THRESHOLD}: half its 64 MB heap size. */
	private static final int MMAP_THRESHOLD = 32 * 1024 * 1024;

	private static final int TRIM_THRESHOLD = 1024 * 1024 * 1024;

	static final String DISABLE_PROPERTY = "phreg.native-heap.retain";

	// mallopt parameter numbers from glibc's malloc.h
	private static final int M_TRIM_THRESHOLD = -1;

	private static final int M_MMAP_THRESHOLD = -3;

	// Setting any of these fixes glibc's thresholds, so the user has chosen them.
	private static final List<String> USER_THRESHOLDS = List.of("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
			"MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_");

	private static final List<String> TUNABLE_THRESHOLDS = List.of("glibc.malloc.mmap_threshold",
			"glibc.malloc.trim_threshold", "glibc.malloc.top_pad", "glibc.malloc.mmap_max");

	private static volatile String setting = "glibc defaults (not applied in this process)";

	private NativeHeap() {
	}

	/**
	 * Applies the thresholds unless the environment or the system property says
	 * otherwise; returns what was done, which {@link #setting()} repeats for logs and
	 * benchmark output.
	 */
	public static String retainFreedMemory() {
		setting = retainFreedMemory(System.getenv(), System.getProperty(DISABLE_PROPERTY, "true"));
		return setting;
	}

	/** What {@link #retainFreedMemory()} did in this process. */
	public static String setting() {
		return setting;
	}

	static String retainFreedMemory(Map<String, String> environment, String enabled) {
		if (!Boolean.parseBoolean(enabled)) {
			return "glibc defaults (" + DISABLE_PROPERTY + "=" + enabled + ")";
		}
		String userSetting = environment.entrySet()
			.stream()
			.filter((variable) -> USER_THRESHOLDS.contains(variable.getKey())
					|| (variable.getKey().equals("GLIBC_TUNABLES")
							&& TUNABLE_THRESHOLDS.stream().anyMatch(variable.getValue()::contains)))
			.map(Map.Entry::getKey)
			.findFirst()
			.orElse(null);
		if (userSetting != null) {
			return "as the environment sets it (" + userSetting + ")";
		}
		if (!Platform.isLinux()) {
			return "the platform's allocator (not Linux)";
		}
		try {
			GlibcMalloc malloc = Native.load("c", GlibcMalloc.class);
			if (malloc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1
					|| malloc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1) {
				return "glibc defaults (mallopt refused the thresholds)";
			}
		}
		catch (UnsatisfiedLinkError ex) {
			return "the C library's allocator (no glibc mallopt: " + ex.getMessage() + ")";
		}
		return "freed memory retained (mmap threshold " + (MMAP_THRESHOLD >> 20) + " MB, trim threshold "
				+ (TRIM_THRESHOLD >> 30) + " GB)";
	}

	/** The one glibc function used here. */
	interface GlibcMalloc extends Library {

		int mallopt(int parameter, int value);

	}

}
