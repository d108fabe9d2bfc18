package ai.phreg.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import ai.phreg.checkpoint.safetensors.DType;
import ai.phreg.checkpoint.safetensors.TensorData;
import ai.phreg.image.Normalization;
import ai.phreg.model.FeedForward;
import ai.phreg.model.MlpActivation;
import ai.phreg.model.RotaryEmbedding;
import ai.phreg.model.ViTConfig;
import tools.jackson.databind.node.ObjectNode;

/**
 * facebookresearch/dinov3 checkpoints ({@code dinov3_vit*16_pretrain_*.pth} as
 * safetensors): no position embedding (RoPE on the patch tokens only), storage tokens
 * after the class token (phreg's registers), a fused qkv whose stored key bias is masked
 * out by the {@code bias_mask} buffer, an MLP ({@code fc1}/{@code fc2}) or a SwiGLU
 * ({@code w1}/{@code w2}/{@code w3}). The head width is read from the stored RoPE periods
 * ({@code head_dim / 4} of them), so no config is needed for the head count.
 * <p>
 * Writes the same layout, one {@code <name>.safetensors} file with
 * {@code <name>.config.json} holding the constructor arguments of
 * {@code DinoVisionTransformer} (as {@code dinov3.hub.backbones._make_dinov3_vit} takes
 * them), so that {@code load_state_dict(strict=True)} takes the file. A PH-Reg student's
 * registers are the teacher's storage tokens followed by the new ones, all in
 * {@code storage_tokens} with {@code n_storage_tokens} their total: DINOv3 places them
 * after the class token and leaves them out of RoPE, exactly as phreg runs them. The qkv
 * bias is written as the model holds it, its stored (masked) key third included, with the
 * {@code bias_mask} buffer that masks it; the mask token and the RoPE periods are the
 * teacher's, carried unchanged (zeros, and the periods computed from the base, without
 * them).
 */
final class DinoV3Codec extends FamilyCodec {

	private static final String PERIODS = "rope_embed.periods";

	private static final String MASK_TOKEN = "mask_token";

	private static final KeyRenames SWIGLU_RENAMES = new KeyRenames().rename("reg_token", "storage_tokens")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc1_g\\.(\\w+)", "$1.w1.$2")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc1_x\\.(\\w+)", "$1.w2.$2")
		.rename("(blocks\\.\\d+\\.mlp)\\.fc2\\.(\\w+)", "$1.w3.$2")
		.rename("(.+)", "$1");

	/** The plain MLP keeps timm's {@code fc1}/{@code fc2} names. */
	private static final KeyRenames MLP_RENAMES = new KeyRenames().rename("reg_token", "storage_tokens")
		.rename("(.+)", "$1");

	DinoV3Codec() {
		super(CheckpointLayout.singleFile("DINOv3"));
	}

	/** Relative difference allowed between stored and computed periods: bfloat16's. */
	private static final double PERIOD_TOLERANCE = 0x1p-8;

	@Override
	CheckpointFormat format() {
		return CheckpointFormat.DINOV3;
	}

	@Override
	boolean recognizes(Set<String> keys) {
		return keys.contains("cls_token") && keys.contains("rope_embed.periods")
				&& keys.contains("blocks.0.attn.qkv.weight");
	}

	@Override
	String signature() {
		return "cls_token, rope_embed.periods and blocks.0.attn.qkv.weight";
	}

	@Override
	void ignoreUnused(KeyLedger ledger) {
		DinoV3Family.carryMaskToken(ledger, MASK_TOKEN);
		ledger.carry(PERIODS, CarriedTensors.ROPE_PERIODS, "RoPE periods, recomputed from the base (kept for exports)");
	}

	@Override
	ViTConfig inferConfig(KeyLedger ledger, SidecarConfig sidecar, LoadOptions options) throws IOException {
		int dim = (int) ledger.take("cls_token", 3).shape()[2];
		long[] patch = ledger.take("patch_embed.proj.weight", 4).shape();
		int registers = ledger.has("storage_tokens") ? (int) ledger.take("storage_tokens", 3).shape()[1] : 0;
		// Carried for exports; the model recomputes the values from the RoPE base.
		TensorSource storedPeriods = ledger.peek(PERIODS, 1);
		long periods = storedPeriods.shape()[0];
		if (periods < 1 || dim % (4 * periods) != 0) {
			throw new InvalidCheckpointException("rope_embed.periods of " + ledger.location() + " has " + periods
					+ " entries, which fits no head width dividing the width " + dim);
		}
		int heads = (int) (dim / (4 * periods));
		if (sidecar.sets("pos_embed_rope_min_period") || sidecar.sets("pos_embed_rope_max_period")) {
			throw new InvalidCheckpointException("Config " + sidecar
					+ " sets RoPE min/max periods; phreg computes the periods from pos_embed_rope_base only");
		}
		RotaryEmbedding rope = RotaryEmbedding
			.dinoV3(sidecar.number("pos_embed_rope_base").orElse(DinoV3Family.ROPE_BASE));
		checkPeriods(ledger.location(), storedPeriods, rope, dim / heads);
		boolean swiglu = ledger.has("blocks.0.mlp.w1.weight");
		int hidden = (int) ledger.take(swiglu ? "blocks.0.mlp.w1.weight" : "blocks.0.mlp.fc1.weight", 2).shape()[0];
		return ViTConfig.builder()
			.setImageSize(sidecar.integer("img_size").orElse(DinoV3Family.IMAGE_SIZE))
			.setPatchSize((int) patch[2])
			.setEmbedDim(dim)
			.setDepth(ledger.countIndexed("blocks."))
			.setNumHeads(heads)
			.setMlpHiddenDim(hidden)
			.optFeedForward(swiglu ? FeedForward.SWIGLU : FeedForward.MLP)
			.optActivation(MlpActivation.GELU)
			.optQkvBias(ledger.has("blocks.0.attn.qkv.bias"))
			.optMaskedKeyBias(ledger.has("blocks.0.attn.qkv.bias_mask"))
			.optLayerScale(ledger.has("blocks.0.ls1.gamma"))
			.optLayerNormEps(DinoV3Family.LAYER_NORM_EPS)
			.optRegisters(registers, format().registerPlacement())
			.optPositionEmbedding(false)
			.optRope(rope)
			.build();
	}

	/**
	 * The model recomputes the periods from the base and the head width, as upstream
	 * does; stored periods that differ mean other RoPE frequencies (another base, a
	 * min/max period rule, a tampered buffer), which would load silently wrong. Compared
	 * to within bfloat16's precision, the narrowest dtype a checkpoint stores them in.
	 */
	private static void checkPeriods(Path location, TensorSource stored, RotaryEmbedding rope, int headDim)
			throws IOException {
		float[] actual = stored.read();
		double[] expected = rope.periods(headDim);
		for (int j = 0; j < actual.length; j++) {
			if (!(Math.abs(actual[j] - expected[j]) <= PERIOD_TOLERANCE * expected[j])) {
				throw new InvalidCheckpointException("rope_embed.periods of " + location + " holds "
						+ Arrays.toString(actual) + ", but pos_embed_rope_base " + rope.base() + " and head width "
						+ headDim + " give " + Arrays.toString(expected) + " (base^(4j/" + headDim + ")); period " + j
						+ " differs. phreg computes the periods from the base, so these weights "
						+ "would run with other RoPE frequencies than they were trained with");
			}
		}
	}

	@Override
	void declare(ConfigAgreement agreement, ViTConfig config) throws InvalidCheckpointException {
		agreement.integer("embed_dim", config.embedDim(), "width %d")
			.integer("depth", config.depth(), "%d blocks")
			.integer("num_heads", config.numHeads(), "%d heads (from the RoPE periods)")
			.integer("patch_size", config.patchSize(), "patch size %d")
			.integer("n_storage_tokens", config.numRegisters(), "%d storage tokens")
			.flag("mask_k_bias", config.maskedKeyBias(), "a key-bias mask")
			.flag("qkv_bias", config.qkvBias(), "query/key/value biases");
		SidecarConfig sidecar = agreement.sidecar();
		sidecar.text("ffn_layer")
			.ifPresent((layer) -> agreement.require(layer.equals("mlp") == !config.feedForward().gated(),
					"'ffn_layer' is '" + layer + "' but the weights have " + config.feedForward()));
		sidecar.number("ffn_ratio").ifPresent((ratio) -> {
			int nominal = (int) (config.embedDim() * ratio);
			int expected = config.feedForward().gated() ? FeedForward.swigluHidden(nominal) : nominal;
			agreement.require(expected == config.mlpHiddenDim(), "'ffn_ratio' is " + ratio
					+ " but the weights have a feed-forward layer " + config.mlpHiddenDim() + " wide");
		});
	}

	@Override
	TensorSource tensorFor(String parameter, ViTConfig config, KeyLedger ledger) throws InvalidCheckpointException {
		if (parameter.endsWith(".attn.qkv.bias")) {
			// The mask is the fixed [1, 0, 1] pattern, applied by the model.
			ledger.ignore((key) -> key.equals(parameter + "_mask"), "key-bias mask, applied by the model");
		}
		KeyRenames renames = config.feedForward().gated() ? SWIGLU_RENAMES : MLP_RENAMES;
		return ledger.take(renames.apply(parameter));
	}

	@Override
	List<String> unsupported(ViTConfig config) {
		return DinoV3Family.rules(config)
			.require(config.layerNormEps() == DinoV3Family.LAYER_NORM_EPS,
					"DINOv3's LayerNorms use eps 1e-5, this model's " + config.layerNormEps())
			.require(!config.feedForward().gated() || ConfigJson.swigluMlpRatio(config).isPresent(),
					"DINOv3's SwiGLU width is two thirds of int(width * ffn_ratio) rounded up to 8, which no "
							+ "ffn_ratio makes " + config.mlpHiddenDim())
			.requireMlpRatio(config)
			.list();
	}

	@Override
	void addTensors(String parameter, long[] shape, float[] values, ViTConfig config, TensorSink sink) {
		KeyRenames renames = config.feedForward().gated() ? SWIGLU_RENAMES : MLP_RENAMES;
		sink.add(renames.apply(parameter), shape, values);
		if (parameter.endsWith(".attn.qkv.bias") && config.maskedKeyBias()) {
			// DINOv3's own mask: ones for the query and value thirds, zeros for the key.
			float[] mask = new float[values.length];
			int third = values.length / 3;
			Arrays.fill(mask, 0, third, 1f);
			Arrays.fill(mask, 2 * third, mask.length, 1f);
			sink.add(parameter + "_mask", shape, mask);
		}
	}

	@Override
	void addRequiredExtras(ViTConfig config, CarriedTensors carried, TensorSink sink) {
		carried.addMaskToken(MASK_TOKEN, new long[] { 1, config.embedDim() }, sink);
		long[] shape = { config.headDim() / 4 };
		TensorData stored = carried.get(CarriedTensors.ROPE_PERIODS).orElse(null);
		if (stored != null && Arrays.equals(stored.shape(), shape)) {
			sink.addUnchanged(PERIODS, stored);
		}
		else {
			sink.add(PERIODS, shape, periods(config));
		}
	}

	/**
	 * DINOv3's {@code base ** (2 * arange(head_dim / 4) / (head_dim / 2))}, the exponent
	 * in float32 as its code computes it.
	 */
	private static float[] periods(ViTConfig config) {
		int half = config.headDim() / 2;
		float[] periods = new float[config.headDim() / 4];
		for (int j = 0; j < periods.length; j++) {
			periods[j] = (float) Math.pow(config.rope().base(), (float) (2 * j) / half);
		}
		return periods;
	}

	@Override
	ObjectNode config(ViTConfig config, DType dtype, Normalization normalization) {
		boolean gated = config.feedForward().gated();
		ObjectNode json = ConfigJson.object();
		json.put("arch", "dinov3.models.vision_transformer.DinoVisionTransformer");
		json.put("img_size", config.imageSize());
		json.put("patch_size", config.patchSize());
		json.put("in_chans", 3);
		json.put("pos_embed_rope_base", config.rope().base());
		json.putNull("pos_embed_rope_min_period");
		json.putNull("pos_embed_rope_max_period");
		json.put("pos_embed_rope_normalize_coords", "separate");
		// Training-time coordinate augmentations, off at inference, as the hub models.
		json.putNull("pos_embed_rope_shift_coords");
		json.putNull("pos_embed_rope_jitter_coords");
		json.put("pos_embed_rope_rescale_coords", 2);
		json.put("pos_embed_rope_dtype", "fp32");
		json.put("embed_dim", config.embedDim());
		json.put("depth", config.depth());
		json.put("num_heads", config.numHeads());
		json.set("ffn_ratio", gated ? ConfigJson.swigluMlpRatio(config).orElseThrow() : ConfigJson.mlpRatio(config));
		json.put("qkv_bias", config.qkvBias());
		json.put("drop_path_rate", 0.0);
		if (config.layerScale()) {
			// Only LayerScale's initial value; the trained scales are weights.
			json.put("layerscale_init", 1e-5);
		}
		else {
			json.putNull("layerscale_init");
		}
		json.put("norm_layer", "layernormbf16");
		json.put("ffn_layer", gated ? "swiglu" : "mlp");
		json.put("ffn_bias", true);
		json.put("proj_bias", true);
		json.put("n_storage_tokens", config.numRegisters());
		json.put("mask_k_bias", config.maskedKeyBias());
		json.put("untie_cls_and_patch_norms", false);
		json.put("untie_global_and_local_cls_norm", false);
		ConfigJson.decimals(json.putArray("mean"), normalization.mean());
		ConfigJson.decimals(json.putArray("std"), normalization.std());
		return json;
	}

}
