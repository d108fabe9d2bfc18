package ai.phreg.checkpoint;

import java.util.List;
import java.util.Set;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * facebookresearch/dinov2 torch.hub checkpoints ({@code dinov2_vit*14[_reg4]_pretrain}):
 * key names already match phreg's except {@code register_tokens}. Plain models resample
 * position embeddings with the hub's {@code +0.1} scale-factor rule, register models to
 * size with antialiasing.
 * <p>
 * Writes facebookresearch/dinov2 torch.hub checkpoints: one safetensors file with hub key
 * names, and beside it {@code <name>.config.json} with the constructor arguments the
 * weights cannot tell (heads, position-embedding interpolation), which phreg's loader
 * reads back. The hub model declares a {@code mask_token} and loads strictly: the
 * source's is carried over unchanged (zeros without one); it only takes part in
 * masked-image pretraining. ViT-g's SwiGLU layers are written as {@code w12}/{@code w3}
 * with {@code ffn_layer: swiglufused} and the {@code mlp_ratio} their width comes from.
 */
final class DinoV2HubCodec extends FamilyCodec {

	/** phreg parameter names to hub keys, also used to write hub checkpoints. */
	private static final KeyRenames RENAMES = new KeyRenames().rename("reg_token", "register_tokens")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc1\\.(\\w+)", "$1.w12.$2")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc2\\.(\\w+)", "$1.w3.$2")
		.rename("(.+)", "$1");

	/** The same for the plain MLP, whose layers keep timm's names. */
	private static final KeyRenames MLP_RENAMES = new KeyRenames().rename("reg_token", "register_tokens")
		.rename("(.+)", "$1");

	DinoV2HubCodec() {
		super(CheckpointLayout.singleFile("DINOv2 hub"));
	}

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.DINOV2_HUB;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("cls_token") && keys.contains("pos_embed") && keys.contains("blocks.0.attn.qkv.weight")
				&& (keys.contains("mask_token") || keys.contains("register_tokens"));
	}

	@Override
	String signature() {
		return "cls_token, pos_embed, blocks.0.attn.qkv.weight and mask_token or register_tokens";
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		long[] cls = ledger.take("cls_token", 3).shape();
		int dim = (int) cls[2];
		long[] pos = ledger.take("pos_embed", 3).shape();
		int grid = squareSide(pos[1] - 1, "pos_embed");
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		int registers = ledger.has("register_tokens") ? (int) ledger.take("register_tokens", 3).shape()[1] : 0;
		double offset = sidecar.number("interpolate_offset").orElse((registers > 0) ? 0.0 : 0.1);
		boolean antialias = sidecar.bool("interpolate_antialias").orElse(registers > 0);
		// ViT-g's SwiGLU: w12 packs gate and value, w3 projects back.
		boolean swiglu = ledger.has("blocks.0.mlp.w12.weight");
		return ViTConfig.builder()
			.setImageSize(grid * (int) patch[2])
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(HeadCount.resolve(sidecar.integer("num_heads"), "num_heads", dim, sidecar, options,
					ledger.location()))
			.setMlpHiddenDim(swiglu ? (int) ledger.take("blocks.0.mlp.w3.weight", 2).shape()[1]
					: (int) ledger.take("blocks.0.mlp.fc1.weight", 2).shape()[0])
			.optFeedForward(swiglu ? FeedForward.SWIGLU_PACKED : FeedForward.MLP)
			.optQkvBias(ledger.has("blocks.0.attn.qkv.bias"))
			.optLayerScale(ledger.has("blocks.0.ls1.gamma"))
			.optRegisters(registers, format().registerPlacement())
			.optPositionResampling(resampling(offset, antialias))
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		agreement.modelType("dinov2", "dinov2_with_registers")
			.integer("embed_dim", config.embedDim(), "width %d")
			.integer("depth", config.depth(), "%d blocks")
			.integer("patch_size", config.patchSize(), "patch size %d")
			.integer("img_size", config.imageSize(), "a position embedding for image size %d")
			.integer("num_register_tokens", config.numRegisters(), "%d register tokens")
			.mlpRatio("mlp_ratio", config)
			.flag("qkv_bias", config.qkvBias(), "query/key/value biases");
	}

	private static PositionResampling resampling(double offset, boolean antialias) throws InvalidCheckpointException {
		if (offset == 0.1 && !antialias) {
			return PositionResampling.BICUBIC_OFFSET;
		}
		if (offset == 0.0) {
			return antialias ? PositionResampling.BICUBIC_ANTIALIAS : PositionResampling.BICUBIC;
		}
		throw new InvalidCheckpointException("Unsupported DINOv2 interpolation: offset " + offset + " with antialias "
				+ antialias + " (the hub models use offset 0.1 without antialias, or 0 with it)");
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		return ledger.take(renames(config).apply(parameter));
	}

	private static KeyRenames renames(ViTConfig config) {
		return config.feedForward().gated() ? RENAMES : MLP_RENAMES;
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.carry("mask_token", CarriedTensors.MASK_TOKEN,
				"mask token of masked-image pretraining, unused at inference (kept for exports)");
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return DinoV2Family.rules(config)
			.require(config.layerNormEps() == 1e-6f,
					"hub DINOv2 uses LayerNorm eps 1e-6, this model " + config.layerNormEps())
			.list();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		sink.add(renames(config).apply(parameter), shape, values);
	}

	@Override
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
		DinoV2Family.addMaskToken("mask_token", config, carried, sink);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		ObjectNode json = ConfigJson.object();
		json.put("arch", "DinoVisionTransformer");
		json.put("img_size", config.imageSize());
		json.put("patch_size", config.patchSize());
		json.put("in_chans", 3);
		json.put("embed_dim", config.embedDim());
		json.put("depth", config.depth());
		json.put("num_heads", config.numHeads());
		json.set("mlp_ratio", DinoV2Family.mlpRatio(config));
		json.put("qkv_bias", config.qkvBias());
		json.put("ffn_bias", true);
		json.put("proj_bias", true);
		if (config.layerScale()) {
			json.put("init_values", 1.0);
		}
		else {
			json.putNull("init_values");
		}
		json.put("ffn_layer", config.feedForward().gated() ? "swiglufused" : "mlp");
		json.put("block_chunks", 0);
		json.put("num_register_tokens", config.numRegisters());
		// The hub's two rules: +0.1 on the scale factor without antialiasing (plain
		// models), or exact size with it (register models).
		json.put("interpolate_antialias", config.positionResampling() == PositionResampling.BICUBIC_ANTIALIAS);
		json.put("interpolate_offset", (config.positionResampling() == PositionResampling.BICUBIC_OFFSET) ? 0.1 : 0.0);
		ConfigJson.decimals(json.putArray("mean"), normalization.mean());
		ConfigJson.decimals(json.putArray("std"), normalization.std());
		return json;
	}

}
