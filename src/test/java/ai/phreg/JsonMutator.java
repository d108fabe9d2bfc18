package ai.phreg;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Seeded structural mutations of a JSON document for fuzz tests: values of other types,
 * huge or non-finite numbers, missing and extra keys, long strings, deep nesting,
 * duplicate keys. Mutations that JSON trees cannot hold (a number too large for a double,
 * a repeated key, nesting beyond the writer's depth) are spliced into the text.
 */
public final class JsonMutator {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

	private static final String[] RAW_VALUES = { "1e400", "-1e400", "1e-400", "99999999999999999999999",
			"-9223372036854775809", "4.0", "-0", "0.5", "2147483648" };

	private final Random random;

	private final List<String> applied = new ArrayList<>();

	private final Map<String, String> splices = new LinkedHashMap<>();

	private int lastDepth;

	public JsonMutator(long seed) {
		this.random = new Random(seed);
	}

	/**
	 * Mutates a copy of {@code document} one to three times and returns its text.
	 * @param document a JSON object
	 * @param maxStringLength the longest string a mutation may insert
	 */
	public String mutate(ObjectNode document, int maxStringLength) {
		this.applied.clear();
		this.splices.clear();
		ObjectNode copy = document.deepCopy();
		int mutations = 1 + this.random.nextInt(3);
		for (int i = 0; i < mutations; i++) {
			mutateOnce(copy, maxStringLength);
		}
		String text = JSON.writeValueAsString(copy);
		for (Map.Entry<String, String> splice : this.splices.entrySet()) {
			text = text.replace("\"" + splice.getKey() + "\"", splice.getValue());
		}
		return text;
	}

	/** What the last {@link #mutate} did, to replay a failure. */
	public List<String> applied() {
		return List.copyOf(this.applied);
	}

	private void mutateOnce(ObjectNode root, int maxStringLength) {
		List<JsonNode> containers = new ArrayList<>();
		collect(root, containers);
		JsonNode container = containers.get(this.random.nextInt(containers.size()));
		if (container instanceof ObjectNode object) {
			List<String> names = new ArrayList<>(object.propertyNames());
			int choice = this.random.nextInt(4);
			if (names.isEmpty() || choice == 0) {
				String name = (!names.isEmpty() && this.random.nextBoolean())
						? names.get(this.random.nextInt(names.size())) + "_x" : "extra" + this.random.nextInt(100);
				object.set(name, value(maxStringLength));
				this.applied.add("add " + name);
			}
			else if (choice == 1) {
				String name = names.get(this.random.nextInt(names.size()));
				object.remove(name);
				this.applied.add("remove " + name);
			}
			else if (choice == 2 && !names.isEmpty()) {
				// A duplicate key, which a tree cannot hold: spliced into the text.
				String name = names.get(this.random.nextInt(names.size()));
				String marker = marker();
				object.put(marker, 0);
				this.splices.put(marker, "\"" + name + "\"");
				this.applied.add("duplicate " + name);
			}
			else {
				String name = names.get(this.random.nextInt(names.size()));
				object.set(name, value(maxStringLength));
				this.applied.add("replace " + name);
			}
		}
		else {
			ArrayNode array = (ArrayNode) container;
			if (array.isEmpty() || this.random.nextBoolean()) {
				array.add(value(maxStringLength));
				this.applied.add("append to array");
			}
			else {
				int index = this.random.nextInt(array.size());
				array.set(index, value(maxStringLength));
				this.applied.add("replace element " + index);
			}
		}
	}

	private static void collect(JsonNode node, List<JsonNode> containers) {
		if (node.isContainer()) {
			containers.add(node);
			for (JsonNode child : node) {
				collect(child, containers);
			}
		}
	}

	private JsonNode value(int maxStringLength) {
		return switch (this.random.nextInt(10)) {
			case 0 -> NODES.numberNode(this.random.nextInt(2001) - 1000);
			case 1 -> NODES.numberNode(this.random.nextLong());
			case 2 -> NODES.numberNode(this.random.nextDouble() * 10 - 5);
			case 3 -> raw(RAW_VALUES[this.random.nextInt(RAW_VALUES.length)]);
			case 4 -> NODES.stringNode("x".repeat(this.random.nextInt(maxStringLength + 1)));
			case 5 -> NODES.booleanNode(this.random.nextBoolean());
			case 6 -> NODES.nullNode();
			case 7 -> raw("[".repeat(depth()) + "]".repeat(this.lastDepth));
			case 8 -> raw("{\"a\":".repeat(depth()) + "1" + "}".repeat(this.lastDepth));
			default -> NODES.arrayNode().add(this.random.nextInt(100)).add("12").add(NODES.objectNode());
		};
	}

	/** Mostly shallow, sometimes far beyond any parser's default depth limit. */
	private int depth() {
		this.lastDepth = this.random.nextBoolean() ? 1 + this.random.nextInt(8) : 1 + this.random.nextInt(5000);
		return this.lastDepth;
	}

	private JsonNode raw(String text) {
		String marker = marker();
		this.splices.put(marker, text);
		this.applied.add("raw " + (text.length() > 20 ? text.substring(0, 20) + "..." : text));
		return NODES.stringNode(marker);
	}

	private String marker() {
		return "@splice" + this.splices.size() + "x" + this.random.nextInt(1_000_000) + "@";
	}

}
