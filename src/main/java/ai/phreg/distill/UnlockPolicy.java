package ai.phreg.distill;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.phreg.model.VisionTransformer;

/**
 * Which student parameters PH-Reg trains; everything else stays frozen, bit for bit.
 * Patterns are globs over parameter names ({@code *} matches any run of characters) in
 * which {@code {last}} stands for the index of the last transformer block.
 *
 * @param name a short name for reports
 * @param patterns the globs of unlocked parameter names
 */
public record UnlockPolicy(String name, List<String> patterns) {

	/**
	 * The paper's choice: registers, position embeddings, patch embedding and the last
	 * block.
	 */
	public static final UnlockPolicy DEFAULT = new UnlockPolicy("default",
			List.of("reg_token", "pos_embed", "patch_embed.*", "blocks.{last}.*"));

	/** Only the new register tokens: the cheapest retrofit. */
	public static final UnlockPolicy REGISTERS_ONLY = new UnlockPolicy("registers-only", List.of("reg_token"));

	public UnlockPolicy {
		patterns = List.copyOf(patterns);
		if (patterns.isEmpty()) {
			throw new IllegalArgumentException("An unlock policy needs at least one parameter pattern");
		}
	}

	/**
	 * A named policy ({@code default}, {@code registers-only}) or a custom list of globs.
	 */
	public static UnlockPolicy of(String name, List<String> customPatterns) {
		return switch (name) {
			case "default" -> DEFAULT;
			case "registers-only" -> REGISTERS_ONLY;
			case "custom" -> new UnlockPolicy("custom", customPatterns);
			default -> throw new IllegalArgumentException(
					"Unknown unlock policy '" + name + "'; use default, registers-only or custom");
		};
	}

	/**
	 * The names of the parameters this policy unlocks in {@code model}, in model order.
	 */
	public List<String> select(VisionTransformer model) {
		String last = Integer.toString(model.config().depth() - 1);
		List<Pattern> compiled = this.patterns.stream().map((glob) -> toRegex(glob.replace("{last}", last))).toList();
		List<String> selected = new ArrayList<>();
		for (Pair<String, Parameter> parameter : model.getParameters()) {
			if (compiled.stream().anyMatch((pattern) -> pattern.matcher(parameter.getKey()).matches())) {
				selected.add(parameter.getKey());
			}
		}
		if (selected.isEmpty()) {
			throw new IllegalArgumentException(
					"Unlock policy " + this.name + " " + this.patterns + " matches no parameter of the model, such as "
							+ model.parameterShapes().keySet().stream().limit(6).toList());
		}
		return selected;
	}

	/**
	 * Freezes every parameter of {@code model}, then unlocks the selected ones; returns
	 * them.
	 */
	public List<Parameter> apply(VisionTransformer model) {
		List<String> selected = select(model);
		model.freezeParameters(true);
		List<Parameter> unlocked = new ArrayList<>();
		for (String name : selected) {
			Parameter parameter = model.getParameters().get(name);
			parameter.freeze(false);
			unlocked.add(parameter);
		}
		return unlocked;
	}

	private static Pattern toRegex(String glob) {
		StringBuilder regex = new StringBuilder();
		for (String part : glob.split("\\*", -1)) {
			if (regex.length() > 0) {
				regex.append(".*");
			}
			regex.append(Pattern.quote(part));
		}
		return Pattern.compile(regex.toString());
	}

}
