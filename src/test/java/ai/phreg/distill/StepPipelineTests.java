package ai.phreg.distill;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.phreg.imagesource.ImageFolder;
import ai.djl.ndarray.NDManager;
import ai.phreg.Fixtures;
import ai.phreg.distill.cache.TargetCacheSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Preparing batches and computing the teacher's targets ahead, on another thread, changes
 * when the work is done, never its result: the run trains bit for bit as one that does
 * everything in turn.
 */
class StepPipelineTests {

	@Test
	void teacherAheadTrainsExactlyAsEverythingInTurn() throws IOException {
		ExecutionSettings inTurn = new ExecutionSettings(8, false, false, TargetCacheSettings.OFF, Determinism.DEFAULT,
				TeacherPrecision.FP32);
		ExecutionSettings ahead = new ExecutionSettings(8, true, true, TargetCacheSettings.OFF, Determinism.DEFAULT,
				TeacherPrecision.FP32);

		Run sequential = train(inTurn);
		Run overlapped = train(ahead);

		assertThat(overlapped.losses()).containsExactlyElementsOf(sequential.losses());
		sequential.weights()
			.forEach((name, values) -> assertThat(overlapped.weights().get(name)).as(name).containsExactly(values));
	}

	private static Run train(ExecutionSettings execution) throws IOException {
		try (NDManager manager = NDManager.newBaseManager();
				Distiller distiller = new Distiller(DistillerTests.SETTINGS, execution, DistillerTests.teacher(manager),
						ImageFolder.scan(Fixtures.photos()), manager)) {
			List<Float> losses = new ArrayList<>();
			distiller.run(4, (report) -> losses.add(report.loss()));
			return new Run(losses, DistillerTests.values(distiller));
		}
	}

	private record Run(List<Float> losses, Map<String, float[]> weights) {
	}

}
