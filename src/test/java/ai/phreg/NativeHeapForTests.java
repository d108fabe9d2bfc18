package ai.phreg;

import ai.phreg.system.NativeHeap;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Gives the test JVM the native heap settings {@link PhregApplication#main} gives the
 * service and the commands, before any test allocates tensors: the tests train the way
 * users' processes do, and as fast.
 */
public class NativeHeapForTests implements LauncherSessionListener {

	@Override
	public void launcherSessionOpened(LauncherSession session) {
		NativeHeap.retainFreedMemory();
	}

}
