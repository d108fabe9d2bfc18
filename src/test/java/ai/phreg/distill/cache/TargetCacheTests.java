package ai.phreg.distill.cache;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.phreg.Fixtures;
import ai.phreg.checkpoint.safetensors.SafetensorsReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shard store on a real denoised target (the authors' fixture): what is read back is
 * what was written, to float16 precision; a shard that does not check out in full is
 * deleted and reported missing, never returned.
 */
class TargetCacheTests {

	private static final TargetKey KEY = new TargetKey("teacher-digest/DINOV2_HUB", "image-digest", 112, 3, 5,
			"0,0,0;1,-1,1", 0.15, 42);

	@TempDir
	Path folder;

	private NDManager manager;

	private NDArray target;

	@BeforeEach
	void readFixtureTarget() throws IOException {
		this.manager = NDManager.newBaseManager();
		try (SafetensorsReader reader = SafetensorsReader
			.open(Fixtures.root().resolve("phreg/phreg_tta.safetensors"))) {
			long[] shape = reader.info("denoised").shape();
			// (1, N, D) -> (N, D)
			this.target = this.manager.create(reader.readFloats("denoised"), new Shape(shape[1], shape[2]));
		}
	}

	@AfterEach
	void close() {
		this.manager.close();
	}

	@Test
	void aStoredTargetReadsBackWithinFloat16Precision() throws IOException {
		TargetCache cache = new TargetCache(this.folder);
		cache.write(KEY, this.target);

		NDArray read = new TargetCache(this.folder).read(KEY, rows(), columns(), this.manager);

		assertThat(read).isNotNull();
		assertThat(read.getShape()).isEqualTo(this.target.getShape());
		// float16 keeps 11 significant bits: relative error at most 2^-11, plus
		// subnormals near 0
		float worst = read.sub(this.target).abs().sub(this.target.abs().mul(Math.pow(2, -11))).max().getFloat();
		assertThat(worst).isLessThanOrEqualTo(1e-7f);
		assertThat(read.sub(this.target).abs().max().getFloat()).isGreaterThan(0f);
	}

	@Test
	void anyChangeToTheKeyMisses() throws IOException {
		TargetCache cache = new TargetCache(this.folder);
		cache.write(KEY, this.target);

		TargetKey otherCrop = new TargetKey(KEY.teacher(), KEY.image(), KEY.resolution(), KEY.top() + 1, KEY.left(),
				KEY.plan(), KEY.shiftFraction(), KEY.seed());
		TargetKey otherTeacher = new TargetKey("another-teacher/DINOV2_HUB", KEY.image(), KEY.resolution(), KEY.top(),
				KEY.left(), KEY.plan(), KEY.shiftFraction(), KEY.seed());
		TargetKey otherSeed = new TargetKey(KEY.teacher(), KEY.image(), KEY.resolution(), KEY.top(), KEY.left(),
				KEY.plan(), KEY.shiftFraction(), 43);

		assertThat(cache.read(otherCrop, rows(), columns(), this.manager)).isNull();
		assertThat(cache.read(otherTeacher, rows(), columns(), this.manager)).isNull();
		assertThat(cache.read(otherSeed, rows(), columns(), this.manager)).isNull();
		assertThat(cache.misses()).isEqualTo(3);
		assertThat(cache.read(KEY, rows(), columns(), this.manager)).isNotNull();
	}

	@Test
	void aShardWithAFlippedDataBitIsDeletedAndMissed() throws IOException {
		TargetCache cache = new TargetCache(this.folder);
		cache.write(KEY, this.target);
		Path shard = cache.fileOf(KEY);
		try (FileChannel channel = FileChannel.open(shard, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
			long last = channel.size() - 1;
			ByteBuffer one = ByteBuffer.allocate(1);
			channel.read(one, last);
			channel.write(ByteBuffer.wrap(new byte[] { (byte) (one.get(0) ^ 0x10) }), last);
		}

		NDArray read = cache.read(KEY, rows(), columns(), this.manager);

		assertThat(read).isNull();
		assertThat(cache.rejected()).isEqualTo(1);
		assertThat(shard).doesNotExist();
	}

	@Test
	void aPartialShardIsDeletedAndMissed() throws IOException {
		TargetCache cache = new TargetCache(this.folder);
		cache.write(KEY, this.target);
		Path shard = cache.fileOf(KEY);
		byte[] bytes = Files.readAllBytes(shard);
		Files.write(shard, Arrays.copyOf(bytes, bytes.length / 2));

		assertThat(cache.read(KEY, rows(), columns(), this.manager)).isNull();
		assertThat(cache.rejected()).isEqualTo(1);
		assertThat(shard).doesNotExist();
	}

	@Test
	void aShardStoredForAnotherKeyIsNotTrustedUnderThisName() throws IOException {
		TargetCache cache = new TargetCache(this.folder);
		TargetKey other = new TargetKey(KEY.teacher(), "another-image", KEY.resolution(), KEY.top(), KEY.left(),
				KEY.plan(), KEY.shiftFraction(), KEY.seed());
		cache.write(other, this.target);
		Files.createDirectories(cache.fileOf(KEY).getParent());
		Files.copy(cache.fileOf(other), cache.fileOf(KEY));

		assertThat(cache.read(KEY, rows(), columns(), this.manager)).isNull();
		assertThat(cache.rejected()).isEqualTo(1);
		assertThat(cache.read(other, rows(), columns(), this.manager)).isNotNull();
	}

	@Test
	void aShardOfAnotherShapeIsNotTrusted() throws IOException {
		TargetCache cache = new TargetCache(this.folder);
		cache.write(KEY, this.target);

		assertThat(cache.read(KEY, rows(), columns() + 1, this.manager)).isNull();
		assertThat(cache.rejected()).isEqualTo(1);
	}

	private long rows() {
		return this.target.getShape().get(0);
	}

	private long columns() {
		return this.target.getShape().get(1);
	}

	@Test
	void temporaryFilesOfDeadWritersAreRemovedAndThoseOfLiveWritersKept() throws Exception {
		TargetCache cache = new TargetCache(this.folder);
		cache.write(KEY, this.target);
		Path shard = cache.fileOf(KEY);
		assertThat(TargetCache.isTemporary(shard.getFileName().toString())).isFalse();
		// Its writer died: nobody holds its lock.
		Path abandoned = shard.resolveSibling("." + shard.getFileName() + ".abandoned.tmp");
		Files.write(abandoned, new byte[] { 1, 2, 3 });
		Path live = shard.resolveSibling("." + shard.getFileName() + ".live.tmp");
		Process writer = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
				System.getProperty("java.class.path"), LiveWriter.class.getName(), live.toString())
			.redirectError(ProcessBuilder.Redirect.INHERIT)
			.start();
		try (BufferedReader output = new BufferedReader(new InputStreamReader(writer.getInputStream()))) {
			assertThat(output.readLine()).as("the other writer's report").isEqualTo(LiveWriter.LOCKED);

			new TargetCache(this.folder);

			assertThat(abandoned).doesNotExist();
			assertThat(live).as("another live process's temporary file").exists();
			assertThat(TargetCache.isTemporary(live.getFileName().toString())).isTrue();
			assertThat(cache.read(KEY, rows(), columns(), this.manager)).as("the shard itself").isNotNull();

			writer.destroyForcibly().waitFor();

			assertThat(cache.removeAbandonedWrites()).as("removed once its writer died").isEqualTo(1);
			assertThat(live).doesNotExist();
		}
		finally {
			writer.destroyForcibly().waitFor();
		}
	}

	/**
	 * Another process writing a temporary file: creates and locks it, says so, and holds
	 * the lock until it is killed.
	 */
	static final class LiveWriter {

		static final String LOCKED = "locked";

		public static void main(String[] args) throws Exception {
			try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE_NEW,
					StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
				System.out.println(LOCKED);
				System.out.flush();
				new CountDownLatch(1).await();
			}
		}

	}

}
