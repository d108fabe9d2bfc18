package ai.phreg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;

/**
 * A DJL block whose parameters carry the dotted names of the upstream PyTorch modules,
 * such as {@code blocks.3.attn.qkv.weight}.
 *
 * <p>
 * DJL numbers child blocks ({@code 01blocks_02attn_weight}); a trainer that freezes and
 * unlocks parameters by name, and converters that map foreign checkpoints, need the
 * stable names users know from timm and PyTorch instead. Every block knows its parameter
 * shapes from the architecture, so DJL's shape inference from sample inputs is not used.
 */
public abstract class NamedBlock extends AbstractBlock {

	/** Adds a child whose parameters appear as {@code name.<parameter>}. */
	protected final <B extends Block> B addNamedChild(String name, B block) {
		this.children.add(name, block);
		return block;
	}

	/**
	 * Adds a weight named {@code name} inside this block. Shapes are fixed by the
	 * architecture, so {@link #initialize} allocates every array up front (zeros) and
	 * loading copies values in.
	 */
	protected final Parameter addWeight(String name, Shape shape) {
		return addParameter(Parameter.builder()
			.setName(name)
			.setType(Parameter.Type.WEIGHT)
			.optShape(shape)
			.optInitializer(Initializer.ZEROS)
			.build());
	}

	@Override
	public ParameterList getParameters() {
		ParameterList all = getDirectParameters();
		for (Pair<String, Block> child : getChildren()) {
			for (Pair<String, Parameter> parameter : child.getValue().getParameters()) {
				all.add(child.getKey() + "." + parameter.getKey(), parameter.getValue());
			}
		}
		return all;
	}

	@Override
	protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
		for (Block child : getChildren().values()) {
			child.initialize(manager, dataType, inputShapes);
		}
	}

	/** Runs this block on a single array. */
	public final NDArray forward(ParameterStore store, NDArray input, boolean training) {
		return forward(store, new NDList(input), training).singletonOrThrow();
	}

	@Override
	public Shape[] getOutputShapes(Shape[] inputShapes) {
		return inputShapes;
	}

	/** The array of a parameter for this forward pass, on the input's device. */
	protected static NDArray value(ParameterStore store, Parameter parameter, NDArray input, boolean training) {
		return store.getValue(parameter, input.getDevice(), training);
	}

}
