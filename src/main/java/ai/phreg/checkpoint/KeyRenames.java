package ai.phreg.checkpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ordered table of regular-expression renames from phreg parameter names to a family's
 * keys.
 */
final class KeyRenames {

	private final List<Pattern> patterns = new ArrayList<>();

	private final List<String> replacements = new ArrayList<>();

	KeyRenames rename(String regex, String replacement) {
		this.patterns.add(Pattern.compile(regex));
		this.replacements.add(replacement);
		return this;
	}

	/**
	 * The family's key for {@code parameter}, by the first rule that matches the whole
	 * name.
	 */
	String apply(String parameter) {
		for (int i = 0; i < this.patterns.size(); i++) {
			Matcher matcher = this.patterns.get(i).matcher(parameter);
			if (matcher.matches()) {
				return matcher.replaceFirst(this.replacements.get(i));
			}
		}
		throw new IllegalStateException("No key rename rule for parameter '" + parameter + "'");
	}

}
