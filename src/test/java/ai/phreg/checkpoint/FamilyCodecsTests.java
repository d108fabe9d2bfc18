package ai.phreg.checkpoint;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One registry, one codec per family: the loader detects among exactly the codecs the
 * exporter writes with, so no family can be readable but not writable or the reverse.
 */
class FamilyCodecsTests {

	@Test
	void everyFormatHasExactlyOneCodecThatReadsAndWritesIt() {
		assertThat(FamilyCodecs.ALL).extracting(FamilyCodec::format)
			.doesNotHaveDuplicates()
			.containsExactlyInAnyOrder(CheckpointFormat.values());
		assertThat(Arrays.stream(CheckpointFormat.values()))
			.allSatisfy((format) -> assertThat(FamilyCodecs.of(format).format()).isEqualTo(format));
	}

}
