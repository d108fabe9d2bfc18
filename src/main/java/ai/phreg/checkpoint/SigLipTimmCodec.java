package ai.phreg.checkpoint;

import java.util.Set;

import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;

/**
 * timm's SigLIP towers ({@code VisionTransformer(class_token=False, global_pool='map')}):
 * key names are phreg's own. The activation is not in the weights: the config's
 * {@code act_layer} ({@code gelu_tanh} for the newer registry entries and SigLIP 2), else
 * exact GELU, which is what timm builds for the older entries that do not set it.
 */
final class SigLipTimmCodec extends SigLipFamily {

	@Override
	String notWritten() {
		return "writing timm SigLIP checkpoints is not supported yet: the student's registers would go in "
				+ "timm's reg_token (reg_tokens) of a class-token-free model, which phreg has not been checked "
				+ "against";
	}

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.SIGLIP_TIMM;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("attn_pool.latent") && keys.contains("pos_embed")
				&& keys.contains("blocks.0.attn.qkv.weight") && !keys.contains("cls_token");
	}

	@Override
	String signature() {
		return "attn_pool.latent, pos_embed and blocks.0.attn.qkv.weight without cls_token";
	}

	private static String setting(SidecarConfig sidecar, String key) {
		return sidecar.first("model_args." + key, key);
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		long[] pos = ledger.take("pos_embed", 3).shape();
		int dim = (int) pos[2];
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		String heads = setting(sidecar, "num_heads");
		boolean tanh = sidecar.text(setting(sidecar, "act_layer"))
			.map((act) -> act.toLowerCase().contains("tanh"))
			.orElse(false);
		return siglip(squareSide(pos[1], "pos_embed") * (int) patch[2], (int) patch[2], dim,
				tanh ? MlpActivation.GELU_TANH : MlpActivation.GELU, PositionResampling.BICUBIC_ANTIALIAS)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(HeadCount.resolve(sidecar.integer(heads), heads, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim((int) ledger.take("blocks.0.mlp.fc1.weight", 2).shape()[0])
			.optQkvBias(ledger.has("blocks.0.attn.qkv.bias"))
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		SidecarConfig sidecar = agreement.sidecar();
		agreement.integer(setting(sidecar, "embed_dim"), config.embedDim(), "width %d")
			.integer(setting(sidecar, "depth"), config.depth(), "%d blocks")
			.integer(setting(sidecar, "patch_size"), config.patchSize(), "patch size %d")
			.integer(setting(sidecar, "reg_tokens"), config.numRegisters(), "%d register tokens")
			.flag(setting(sidecar, "class_token"), config.classToken(), "a class token")
			.mlpRatio(setting(sidecar, "mlp_ratio"), config);
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		return ledger.take(parameter);
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.ignore((key) -> key.startsWith("head."), "classification head, not part of the dense backbone");
	}

}
