package ai.phreg.checkpoint;

import java.util.Set;

import ai.phreg.model.MlpActivation;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.RegisterPlacement;
import ai.phreg.model.ViTConfig;

/**
 * timm {@code VisionTransformer} checkpoints (DeiT-III, AugReg,
 * {@code vit_*_reg4_dinov2}): key names match phreg's. A position embedding with exactly
 * one row per patch marks a {@code no_embed_class} model; timm resamples it to size with
 * antialiasing.
 */
final class TimmConverter extends FamilyConverter {

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.TIMM;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("cls_token") && keys.contains("pos_embed") && keys.contains("blocks.0.attn.qkv.weight")
				&& !keys.contains("mask_token") && !keys.contains("register_tokens");
	}

	@Override
	String signature() {
		return "cls_token, pos_embed, blocks.0.attn.qkv.weight without mask_token";
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar) throws InvalidCheckpointException {
		int dim = (int) ledger.take("cls_token", 3).shape()[2];
		long rows = ledger.take("pos_embed", 3).shape()[1];
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		int registers = ledger.has("reg_token") ? (int) ledger.take("reg_token", 3).shape()[1] : 0;
		boolean patchesOnly = isSquare(rows);
		if (!patchesOnly && registers > 0) {
			throw new InvalidCheckpointException("timm checkpoint " + ledger.all().size()
					+ " tensors: pos_embed with rows for register tokens is not supported (only no_embed_class)");
		}
		int grid = squareSide(patchesOnly ? rows : rows - 1, "pos_embed");
		boolean quickGelu = sidecar.text("act_layer").map((act) -> act.toLowerCase().contains("quick")).orElse(false);
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(numHeads(sidecar, dim, "num_heads"))
			.setMlpHiddenDim((int) ledger.take("blocks.0.mlp.fc1.weight", 2).shape()[0])
			.optQkvBias(ledger.has("blocks.0.attn.qkv.bias"))
			.optPatchBias(ledger.has("patch_embed.proj.bias"))
			.optLayerScale(ledger.has("blocks.0.ls1.gamma"))
			.optPreNorm(ledger.has("norm_pre.weight"))
			.optActivation(quickGelu ? MlpActivation.QUICK_GELU : MlpActivation.GELU)
			.optRegisters(registers, RegisterPlacement.AFTER_CLASS_TOKEN)
			.optClassTokenPositioned(!patchesOnly)
			.optPositionResampling(PositionResampling.BICUBIC_ANTIALIAS)
			.build();
	}

	private static boolean isSquare(long count) {
		long side = Math.round(Math.sqrt(count));
		return side * side == count;
	}

	@Override
	TensorSource tensorFor(String parameter, KeyLedger ledger) throws InvalidCheckpointException {
		return ledger.take(parameter);
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.ignore((key) -> key.startsWith("head.") || key.startsWith("fc_norm."),
				"classification head, not part of the dense backbone");
	}

}
