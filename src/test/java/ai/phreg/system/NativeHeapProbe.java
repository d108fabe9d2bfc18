package ai.phreg.system;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * Run in a fresh JVM by {@link NativeHeapTests}: optionally applies
 * {@link NativeHeap#retainFreedMemory()}, then mallocs a 24 MB block (the size of a large
 * activation buffer) and prints how many new mmap-ed chunks glibc made for it (0: served
 * from the heap, where freed memory stays for the next step; 1: mapped fresh, faulted in
 * page by page).
 */
final class NativeHeapProbe {

	private NativeHeapProbe() {
	}

	public static void main(String[] args) {
		if (args[0].equals("retain")) {
			System.out.println(NativeHeap.retainFreedMemory());
		}
		C c = Native.load("c", C.class);
		long before = c.mallinfo2().hblks;
		Pointer block = c.malloc(24L << 20);
		long after = c.mallinfo2().hblks;
		c.free(block);
		System.out.println("new mapped chunks: " + (after - before));
	}

	interface C extends Library {

		Pointer malloc(long size);

		void free(Pointer pointer);

		MallInfo2 mallinfo2();

	}

	/** glibc's {@code struct mallinfo2}: ten {@code size_t} counters. */
	@Structure.FieldOrder({ "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
			"fordblks", "keepcost" })
	public static class MallInfo2 extends Structure implements Structure.ByValue {

		public long arena;

		public long ordblks;

		public long smblks;

		public long hblks;

		public long hblkhd;

		public long usmblks;

		public long fsmblks;

		public long uordblks;

		public long fordblks;

		public long keepcost;

	}

}
