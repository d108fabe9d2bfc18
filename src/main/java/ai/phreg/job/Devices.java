package ai.phreg.job;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.springframework.stereotype.Component;

/** The device a job names: {@code auto}, {@code cpu} or {@code cuda:N}. */
@Component
class Devices {

	/**
	 * @throws IllegalArgumentException with a message for the user when the device is
	 * malformed or not on this machine
	 */
	Device of(String device) {
		int gpus = Engine.getInstance().getGpuCount();
		if (device.equals("auto")) {
			return (gpus > 0) ? Device.gpu(0) : Device.cpu();
		}
		if (device.equals("cpu")) {
			return Device.cpu();
		}
		if (device.matches("cuda:\\d+")) {
			int index = Integer.parseInt(device.substring(5));
			if (index >= gpus) {
				throw new IllegalArgumentException(
						"device " + device + " is not available: this machine has " + gpus + " GPU(s)");
			}
			return Device.gpu(index);
		}
		throw new IllegalArgumentException("device must be auto, cpu or cuda:N, got " + device);
	}

	/** The name jobs queue for: slots are counted per device. */
	String nameOf(String device) {
		Device resolved = of(device);
		return resolved.isGpu() ? "cuda:" + resolved.getDeviceId() : "cpu";
	}

}
