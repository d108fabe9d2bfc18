package ai.phreg.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ai.phreg.SpecialFiles;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PathPolicyTests {

	@TempDir
	private Path temp;

	private Path root;

	private Path outside;

	private Path model;

	private PathPolicy policy;

	@BeforeEach
	void rootWithAModelAndAFolderOutside() throws Exception {
		this.root = Files.createDirectories(this.temp.resolve("root")).toRealPath();
		this.outside = Files.createDirectories(this.temp.resolve("outside")).toRealPath();
		this.model = Files.createDirectories(this.root.resolve("models/dinov2"));
		Files.writeString(this.outside.resolve("secret.txt"), "secret");
		this.policy = new PathPolicy(List.of(this.root));
	}

	@Test
	void aPathInsideARootIsItsRealPath() {
		assertThat(this.policy.resolve(this.model.toString())).isEqualTo(this.model);
		assertThat(this.policy.resolve(this.root + "/./models//dinov2/")).isEqualTo(this.model);
	}

	@Test
	void aRelativePathIsTakenFromTheFirstRoot() {
		assertThat(this.policy.resolve("models/dinov2")).isEqualTo(this.model);
	}

	@Test
	void aMissingFileInsideARootIsAllowedForTheCallerToReport() {
		assertThat(this.policy.resolve(this.root + "/images.tar")).isEqualTo(this.root.resolve("images.tar"));
	}

	@Test
	void aPathOutsideEveryRootIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.outside + "/secret.txt"))
			.withMessageContaining("outside the allowed roots");
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.root + "-sibling/x"))
			.withMessageContaining("outside the allowed roots");
	}

	@Test
	void anyOfSeveralRootsWillDo() {
		PathPolicy twoRoots = new PathPolicy(List.of(this.root, this.outside));

		assertThat(twoRoots.resolve(this.outside + "/secret.txt")).isEqualTo(this.outside.resolve("secret.txt"));
	}

	@Test
	void dotDotIsRefusedEvenWhenItWouldStayInside() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.root + "/../outside/secret.txt"))
			.withMessageContaining("'..'");
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve("models/../models/dinov2"))
			.withMessageContaining("'..'");
	}

	@Test
	void aLinkLeadingOutOfTheRootIsRefused() throws Exception {
		Files.createSymbolicLink(this.root.resolve("escape"), this.outside);

		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.root + "/escape/secret.txt"))
			.withMessageContaining("outside the allowed roots");
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.root + "/escape/not-yet.txt"))
			.withMessageContaining("outside the allowed roots");
	}

	@Test
	void aLinkStayingInsideTheRootIsFollowed() throws Exception {
		Files.createSymbolicLink(this.root.resolve("latest"), this.model);

		assertThat(this.policy.resolve(this.root + "/latest")).isEqualTo(this.model);
	}

	@Test
	void aLinkedRootStillContainsItsFiles() throws Exception {
		Path linkedRoot = Files.createSymbolicLink(this.temp.resolve("data"), this.root);

		assertThat(new PathPolicy(List.of(linkedRoot)).resolve(linkedRoot + "/models/dinov2")).isEqualTo(this.model);
	}

	@Test
	void aBrokenLinkIsRefused() throws Exception {
		Files.createSymbolicLink(this.root.resolve("broken"), this.outside.resolve("gone"));

		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.root + "/broken"))
			.withMessageContaining("cannot resolve");
	}

	@Test
	@Timeout(value = 60, unit = TimeUnit.SECONDS)
	void aFifoIsRefusedBeforeAnyoneOpensIt() throws Exception {
		Path fifo = SpecialFiles.fifo(this.model.resolve("model.safetensors"));

		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(fifo.toString()))
			.withMessageContaining("FIFO");
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolveTeacher(this.model.toString()))
			.withMessageContaining("model.safetensors")
			.withMessageContaining("FIFO");
	}

	@Test
	void aTeacherFolderWhoseWeightsLinkOutsideIsRefusedWithoutTheirBytes() throws Exception {
		Path secret = SpecialFiles.secret(this.outside);
		Files.writeString(this.model.resolve("config.json"), "{}");
		Files.createSymbolicLink(this.model.resolve("model.safetensors"), secret);

		// The folder itself is inside the root, so resolve alone accepts it.
		assertThat(this.policy.resolve(this.model.toString())).isEqualTo(this.model);
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolveTeacher(this.model.toString()))
			.withMessageContaining("model.safetensors")
			.withMessageContaining("outside the allowed roots")
			.withMessageNotContaining("root:x");
	}

	@Test
	void aTeacherWhoseConfigLinksOutsideIsRefused() throws Exception {
		Path weights = Files.write(this.model.resolve("model.safetensors"), new byte[16]);
		Files.createSymbolicLink(this.model.resolve("config.json"), SpecialFiles.secret(this.outside));

		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolveTeacher(this.model.toString()))
			.withMessageContaining("config.json")
			.withMessageContaining("outside the allowed roots");
		// A single weights file reads its configs from beside it as well.
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolveTeacher(weights.toString()))
			.withMessageContaining("config.json");
	}

	@Test
	void aTeacherWithAShardIndexLinkedOutsideIsRefused() throws Exception {
		Files.write(this.model.resolve("model-00001-of-00001.safetensors"), new byte[16]);
		Files.createSymbolicLink(this.model.resolve("model.safetensors.index.json"), SpecialFiles.secret(this.outside));

		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolveTeacher(this.model.toString()))
			.withMessageContaining("model.safetensors.index.json");
	}

	@Test
	void aTeacherOfRegularFilesAndInsideLinksIsAccepted() throws Exception {
		Path weights = Files.write(this.root.resolve("weights.safetensors"), new byte[16]);
		Files.createSymbolicLink(this.model.resolve("model.safetensors"), weights);
		Files.writeString(this.model.resolve("config.json"), "{}");
		// Files the loader never reads are not its business.
		Files.createSymbolicLink(this.model.resolve("README.md"), SpecialFiles.secret(this.outside));

		assertThat(this.policy.resolveTeacher(this.model.toString())).isEqualTo(this.model);
		assertThat(this.policy.resolveTeacher(this.model.resolve("model.safetensors").toString())).isEqualTo(weights);
	}

	@Test
	void aFileUrlIsALocalPath() {
		assertThat(this.policy.resolve(this.model.toUri().toString())).isEqualTo(this.model);
		assertThat(this.policy.resolve("file://localhost" + this.model)).isEqualTo(this.model);
	}

	@Test
	void aFileUrlIsCheckedLikeAPath() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.outside.toUri().toString()))
			.withMessageContaining("outside the allowed roots");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.policy.resolve("file://" + this.root + "/%2e%2e/outside"))
			.withMessageContaining("'..'");
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve("file:models/dinov2"))
			.withMessageContaining("absolute path");
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve("file://fileserver" + this.model))
			.withMessageContaining("only local files");
	}

	@Test
	void otherUrlSchemesAreRefused() {
		for (String url : List.of("http://example.com/model.safetensors", "https://huggingface.co/facebook/dinov2",
				"s3://bucket/images.tar", "hf:facebook/dinov2-base")) {
			assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(url))
				.withMessageContaining("only local files");
		}
	}

	@Test
	void nulAndBlankAreRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(this.root + "/a\0b"))
			.withMessageContaining("NUL");
		assertThatIllegalArgumentException().isThrownBy(() -> this.policy.resolve(" "))
			.withMessageContaining("required");
	}

	@Test
	void withoutRootsNothingIsAllowed() {
		assertThatIllegalArgumentException().isThrownBy(() -> new PathPolicy(List.of()).resolve(this.model.toString()))
			.withMessageContaining("phreg.allowed-roots");
	}

}
