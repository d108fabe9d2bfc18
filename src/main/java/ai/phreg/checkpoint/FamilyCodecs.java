package ai.phreg.checkpoint;

import java.util.List;

/**
 * The one registry of checkpoint families: the loader detects a checkpoint's family among
 * these codecs, and the exporter writes with the codec of the format asked for.
 */
final class FamilyCodecs {

	static final List<FamilyCodec> ALL = List.of(new DinoV2HubCodec(), new DinoV2HuggingFaceCodec(), new ClipCodec(),
			new TimmCodec(), new DinoV3Codec(), new DinoV3HuggingFaceCodec(), new Eva02TimmCodec(),
			new SigLipTimmCodec(), new SigLipHuggingFaceCodec());

	private FamilyCodecs() {
	}

	/** The codec that reads and writes {@code format}. */
	static FamilyCodec of(CheckpointFormat format) {
		return ALL.stream()
			.filter((codec) -> codec.format() == format)
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("No codec for " + format));
	}

}
