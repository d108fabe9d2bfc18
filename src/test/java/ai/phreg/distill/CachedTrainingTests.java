package ai.phreg.distill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ai.phreg.imagesource.ImageFolder;
import ai.djl.ndarray.NDManager;
import ai.phreg.Differences;
import ai.phreg.Fixtures;
import ai.phreg.distill.cache.TargetCacheSettings;
import ai.phreg.distill.cache.TargetCacheSettings.OverCap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

/**
 * Training through the target cache on the fixture teacher and 8 photos (2 steps per
 * epoch, 2 epochs): later epochs and restarted runs read the targets instead of running
 * the teacher and train exactly as the run that computed them; damaged shards are
 * recomputed; the size is checked against the cap before anything runs.
 */
class CachedTrainingTests {

	private static final DistillSettings SETTINGS = new DistillSettings(4, UnlockPolicy.DEFAULT, 4, 0.25, 112, 4,
			DistillSettings.stepsOfEpochs(2, 8, 4), 1e-3, 1e-4, 1e-2, 1f, 42);

	@TempDir
	Path temp;

	private Path images;

	private Path cacheFolder;

	@BeforeEach
	void eightPhotos() throws IOException {
		this.images = Files.createDirectory(this.temp.resolve("images"));
		this.cacheFolder = this.temp.resolve("targets");
		try (Stream<Path> photos = Files.list(Fixtures.photos())) {
			for (Path photo : photos.filter((p) -> p.toString().endsWith(".jpg")).sorted().limit(8).toList()) {
				Files.copy(photo, this.images.resolve(photo.getFileName()));
			}
		}
	}

	@Test
	void laterEpochsReadTheTargetsTheFirstEpochComputed() throws IOException {
		Run run = train(cache(1));

		assertThat(run.reports()).hasSize(4);
		for (StepReport report : run.reports()) {
			boolean firstEpoch = report.epoch() == 0;
			assertThat(report.cacheHits()).as("hits at step %d", report.globalStep()).isEqualTo(firstEpoch ? 0 : 4);
			assertThat(report.teacherViewImages()).as("teacher views at step %d", report.globalStep())
				.isEqualTo(firstEpoch ? 4 * 4 : 0);
		}
	}

	@Test
	void aRestartedRunReusesEveryShardAndTrainsIdentically() throws IOException {
		Run first = train(cache(1));

		Run restarted = train(cache(1));

		assertThat(restarted.reports()).allSatisfy((report) -> {
			assertThat(report.cacheHits()).isEqualTo(4);
			assertThat(report.teacherViewImages()).isZero();
		});
		assertThat(restarted.weights().keySet()).isEqualTo(first.weights().keySet());
		first.weights()
			.forEach((name, values) -> assertThat(restarted.weights().get(name)).as(name).containsExactly(values));
	}

	@Test
	void damagedShardsAreRecomputedNotTrusted() throws IOException {
		Run first = train(cache(1));
		List<Path> shards = shards();
		assertThat(shards).hasSize(8);
		byte[] bytes = Files.readAllBytes(shards.get(0));
		bytes[bytes.length - 1] ^= 0x10;
		Files.write(shards.get(0), bytes);
		Files.write(shards.get(1), new byte[] { 1, 2, 3 });

		Run restarted = train(cache(1));

		assertThat(restarted.reports().stream().mapToLong(StepReport::teacherViewImages).sum()).isEqualTo(2 * 4);
		assertThat(restarted.reports().stream().mapToLong(StepReport::cacheHits).sum()).isEqualTo(4 * 4 - 2);
		// Recomputed in smaller teacher batches, so equal up to float rounding
		first.weights()
			.forEach(
					(name, values) -> assertThat(Differences.maxAbsDiff(restarted.weights().get(name), values)).as(name)
						.isLessThan(1e-4));
	}

	@Test
	void withAViewSetPerEpochTheCachedRunTrainsLikeTheUncachedOne() throws IOException {
		Run cached = train(cache(2));
		Run uncached = train(TargetCacheSettings.OFF);

		assertThat(cached.reports().stream().mapToLong(StepReport::cacheHits).sum()).isZero();
		// Same crops and plans, targets differing only by their float16 rounding: every
		// step's loss agrees to about that precision (other crops or plans would move it
		// by tens of percent)
		assertThat(cached.reports()).hasSameSizeAs(uncached.reports());
		for (int i = 0; i < cached.reports().size(); i++) {
			float expected = uncached.reports().get(i).loss();
			assertThat(cached.reports().get(i).loss()).as("loss at step %d", i + 1)
				.isCloseTo(expected, within(2e-3f * expected))
				.isNotEqualTo(expected);
		}
	}

	@Test
	void aCachedRunResumesOnlyWithItsViewSets() throws IOException {
		Path checkpoint = this.temp.resolve("state.safetensors");
		try (NDManager manager = NDManager.newBaseManager(); Distiller distiller = distiller(cache(1), manager)) {
			distiller.run(1, (report) -> {
			});
			distiller.save(checkpoint);
		}

		try (NDManager manager = NDManager.newBaseManager();
				Distiller uncached = distiller(TargetCacheSettings.OFF, manager);
				Distiller otherSets = distiller(cache(2), manager)) {
			assertThatIllegalArgumentException().isThrownBy(() -> uncached.restore(checkpoint))
				.withMessageContaining("from 1 view sets")
				.withMessageContaining("Resume with the target cache and view sets it had");
			assertThatIllegalArgumentException().isThrownBy(() -> otherSets.restore(checkpoint));
		}
	}

	@Test
	void aCacheOverItsCapIsRefusedWithTheEstimate() throws IOException {
		TargetCacheSettings small = cache(1).withCap(1000, OverCap.REFUSE);

		assertThatIllegalArgumentException().isThrownBy(() -> train(small))
			.withMessageContaining("8 images x 1 view sets of 64 x 96 float16 targets")
			.withMessageContaining("turn the target cache off");
		assertThat(this.cacheFolder).doesNotExist();
	}

	@Test
	void aCacheOverItsCapCanBeDroppedInsteadAndTheRunGoesOnWithout() throws IOException {
		TargetCacheSettings small = cache(1).withCap(1000, OverCap.DISABLE);

		Run run = train(small);

		assertThat(run.cacheActive()).isFalse();
		assertThat(run.reports()).allSatisfy((report) -> assertThat(report.teacherViewImages()).isEqualTo(4 * 4));
		assertThat(this.cacheFolder).doesNotExist();
	}

	private TargetCacheSettings cache(int viewSets) {
		return TargetCacheSettings.on(this.cacheFolder).withViewSets(viewSets);
	}

	private List<Path> shards() throws IOException {
		try (Stream<Path> files = Files.walk(this.cacheFolder)) {
			return files.filter((file) -> file.toString().endsWith(".safetensors")).sorted().toList();
		}
	}

	private Distiller distiller(TargetCacheSettings cache, NDManager manager) throws IOException {
		return new Distiller(SETTINGS, ExecutionSettings.DEFAULT.withTargetCache(cache),
				DistillerTests.teacher(manager), ImageFolder.scan(this.images), manager);
	}

	private Run train(TargetCacheSettings cache) throws IOException {
		try (NDManager manager = NDManager.newBaseManager(); Distiller distiller = distiller(cache, manager)) {
			List<StepReport> reports = new ArrayList<>();
			distiller.run(distiller.totalSteps(), reports::add);
			return new Run(reports, DistillerTests.values(distiller), distiller.isTargetCacheActive());
		}
	}

	private record Run(List<StepReport> reports, Map<String, float[]> weights, boolean cacheActive) {
	}

}
