package ai.phreg.checkpoint;

import java.util.List;
import java.util.Set;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.Pooling;
import ai.phreg.model.PositionResampling;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * timm's SigLIP towers ({@code VisionTransformer(class_token=False, global_pool='map')}):
 * key names are phreg's own. The activation is not in the weights: the config's
 * {@code act_layer} ({@code gelu_tanh} for the newer registry entries and SigLIP 2), else
 * exact GELU, which is what timm builds for the older entries that do not set it.
 * Registers are timm's {@code reg_token} ({@code reg_tokens}), opening the sequence; the
 * position embedding has zero rows for them unless {@code no_embed_class}, and the MAP
 * head pools the patches only ({@code pool_include_prefix} false, as phreg's model).
 * <p>
 * Writes timm's Hugging Face hub layout, a folder with {@code model.safetensors} and
 * {@code config.json} that {@code timm.create_model("local-dir:<folder>")} builds and
 * loads: a student's registers in {@code reg_token} with {@code no_embed_class: true}, so
 * the position embedding keeps the teacher's shape and registers get none.
 */
final class SigLipTimmCodec extends FamilyCodec {

	private static final String POOL_INCLUDE_PREFIX = "pool_include_prefix";

	SigLipTimmCodec() {
		super(CheckpointLayout.HUGGING_FACE);
	}

	@Override
	Normalization defaultNormalization() {
		return SigLipFamily.NORMALIZATION;
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

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options)
			throws InvalidCheckpointException {
		long[] pos = ledger.take("pos_embed", 3).shape();
		int dim = (int) pos[2];
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		int registers = ledger.has("reg_token") ? (int) ledger.take("reg_token", 3).shape()[1] : 0;
		boolean patchesOnly = sidecar.bool(TimmLayout.setting(sidecar, "no_embed_class"))
			.orElseGet(() -> TimmLayout.isSquare(pos[1]));
		if (registers > 0 && sidecar.bool(TimmLayout.setting(sidecar, POOL_INCLUDE_PREFIX)).orElse(false)) {
			throw new InvalidCheckpointException("Config " + sidecar + " sets " + POOL_INCLUDE_PREFIX
					+ ": its MAP head pools the registers too, while phreg's pools the patch tokens only");
		}
		String heads = TimmLayout.setting(sidecar, "num_heads");
		boolean tanh = sidecar.text(TimmLayout.setting(sidecar, "act_layer"))
			.map((act) -> act.toLowerCase().contains("tanh"))
			.orElse(false);
		int grid = squareSide(patchesOnly ? pos[1] : pos[1] - registers, "pos_embed");
		return SigLipFamily
			.siglip(grid * (int) patch[2], (int) patch[2], dim, tanh ? MlpActivation.GELU_TANH : MlpActivation.GELU,
					PositionResampling.BICUBIC_ANTIALIAS)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(HeadCount.resolve(sidecar.integer(heads), heads, dim, sidecar, options, ledger.location()))
			.setMlpHiddenDim((int) ledger.take("blocks.0.mlp.fc1.weight", 2).shape()[0])
			.optQkvBias(ledger.has("blocks.0.attn.qkv.bias"))
			.optRegisters(registers, format().registerPlacement())
			.build();
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		SidecarConfig sidecar = agreement.sidecar();
		agreement.integer(TimmLayout.setting(sidecar, "embed_dim"), config.embedDim(), "width %d")
			.integer(TimmLayout.setting(sidecar, "depth"), config.depth(), "%d blocks")
			.integer(TimmLayout.setting(sidecar, "patch_size"), config.patchSize(), "patch size %d")
			.integer(TimmLayout.setting(sidecar, "reg_tokens"), config.numRegisters(), "%d register tokens")
			.flag(TimmLayout.setting(sidecar, "class_token"), config.classToken(), "a class token")
			.mlpRatio(TimmLayout.setting(sidecar, "mlp_ratio"), config);
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		TensorSource source = ledger.take(parameter);
		// Without no_embed_class the registers, which open the sequence, have rows.
		boolean registerRows = parameter.equals("pos_embed")
				&& source.shape()[1] == config.positionEmbeddingLength() + config.numRegisters()
				&& config.numRegisters() > 0;
		return registerRows ? TimmLayout.withoutRegisterRows(source, 0, config.numRegisters()) : source;
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		ledger.ignore((key) -> key.startsWith("head."), "classification head, not part of the dense backbone");
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return new LayoutProblems()
			.require(!config.classToken(), "timm's SigLIP towers have no class token, this " + "model has one")
			.require(config.pooling() == Pooling.MAP,
					"timm's SigLIP towers pool with a MAP head, this model with " + config.pooling())
			.require(config.positionEmbedding() && config.rope() == null,
					"timm's SigLIP towers have a learned position embedding and no RoPE")
			.require(config.feedForward() == FeedForward.MLP,
					"timm's SigLIP towers have an MLP, this model has " + config.feedForward())
			.require(config.activation() == MlpActivation.GELU || config.activation() == MlpActivation.GELU_TANH,
					"timm's SigLIP towers use GELU (exact or tanh), this model " + config.activation())
			.require(
					config.patchBias() && !config.preNorm() && config.finalNorm() && !config.layerScale()
							&& !config.maskedKeyBias() && config.projectionDim() == 0,
					"timm's SigLIP towers have a patch bias, no pre-norm, a final norm, no LayerScale, no masked "
							+ "key bias and no projection")
			.require(config.layerNormEps() == 1e-6f,
					"timm's SigLIP towers use LayerNorm eps 1e-6, this model " + config.layerNormEps())
			.requireMlpRatio(config)
			.list();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		sink.add(parameter, shape, values);
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		ObjectNode json = TimmLayout.hubConfig(architecture(config), "map", config, normalization);
		ObjectNode args = (ObjectNode) json.get("model_args");
		args.set("mlp_ratio", ConfigJson.mlpRatio(config));
		args.put("qkv_bias", config.qkvBias());
		args.put("class_token", false);
		args.put("reg_tokens", config.numRegisters());
		// Registers get no position embedding: pos_embed covers the patches only.
		args.put("no_embed_class", true);
		args.put(POOL_INCLUDE_PREFIX, false);
		args.put("act_layer", (config.activation() == MlpActivation.GELU_TANH) ? "gelu_tanh" : "gelu");
		args.put("global_pool", "map");
		args.put("dynamic_img_size", true);
		return json;
	}

	/**
	 * A registered SigLIP tower of this width ({@code vit_so400m_patch14_siglip_224},
	 * ...), so that timm finds the architecture; {@code model_args} override every
	 * setting of its registry entry.
	 */
	private static String architecture(ViTConfig config) {
		return switch (config.embedDim()) {
			case 1024 -> "vit_large_patch16_siglip_256";
			case 1152 -> "vit_so400m_patch14_siglip_224";
			case 1536 -> "vit_giantopt_patch16_siglip_256";
			default -> "vit_base_patch16_siglip_224";
		};
	}

}
