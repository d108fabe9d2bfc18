package ai.phreg.distill;

import java.util.List;

import ai.phreg.model.RegisterPlacement;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class UnlockPolicyTests {

	private final VisionTransformer model = new VisionTransformer(ViTConfig.builder()
		.setImageSize(28)
		.setPatchSize(14)
		.setEmbedDim(8)
		.setDepth(3)
		.setNumHeads(2)
		.setMlpHiddenDim(16)
		.optLayerScale(true)
		.optRegisters(2, RegisterPlacement.AFTER_CLASS_TOKEN)
		.build());

	@Test
	void defaultUnlocksRegistersPositionsPatchEmbeddingAndTheLastBlockOnly() {
		List<String> selected = UnlockPolicy.DEFAULT.select(this.model);

		assertThat(selected).contains("reg_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
				"blocks.2.attn.qkv.weight", "blocks.2.mlp.fc2.bias", "blocks.2.ls2.gamma", "blocks.2.norm1.weight");
		assertThat(selected).noneMatch((name) -> name.startsWith("blocks.0.") || name.startsWith("blocks.1."));
		assertThat(selected).doesNotContain("cls_token", "norm.weight", "norm.bias");
		assertThat(selected).hasSize(4 + 14);
	}

	@Test
	void registersOnlyUnlocksTheRegisters() {
		assertThat(UnlockPolicy.REGISTERS_ONLY.select(this.model)).containsExactly("reg_token");
	}

	@Test
	void customGlobsSelectByName() {
		UnlockPolicy policy = UnlockPolicy.of("custom", List.of("blocks.*.ls?.gamma", "blocks.1.attn.*"));

		assertThat(policy.select(this.model)).containsExactly("blocks.1.attn.qkv.weight", "blocks.1.attn.qkv.bias",
				"blocks.1.attn.proj.weight", "blocks.1.attn.proj.bias");
	}

	@Test
	void applyFreezesEverythingElse() {
		UnlockPolicy.REGISTERS_ONLY.apply(this.model);

		assertThat(this.model.getParameters().values()).filteredOn((parameter) -> parameter.requiresGradient())
			.hasSize(1);
	}

	@Test
	void policiesMatchingNothingOrUnknownNamesAreRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> UnlockPolicy.of("custom", List.of("head.*")).select(this.model))
			.withMessageContaining("matches no parameter");
		assertThatIllegalArgumentException().isThrownBy(() -> UnlockPolicy.of("everything", List.of()))
			.withMessageContaining("default, registers-only or custom");
	}

}
