package ai.phreg;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DjlEngineSmokeTests {

	@Test
	void pytorchEngineLoadsOfflineFromTheClasspath() {
		assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
		assertThat(Engine.getInstance().getEngineName()).isEqualTo("PyTorch");
		assertThat(Engine.getInstance().getVersion()).isEqualTo("2.7.1");
		try (NDManager manager = NDManager.newBaseManager()) {
			NDArray sum = manager.create(new float[] { 1, 2, 3 }).sum();
			assertThat(sum.getFloat()).isEqualTo(6f);
		}
	}

}
