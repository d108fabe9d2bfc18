package ai.phreg.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;

/**
 * One Vision Transformer for the DINOv2, CLIP and timm families, configured by a
 * {@link ViTConfig}: patch embedding, class token, optional registers (no position
 * embedding), position embedding resampled to any input that is a multiple of the patch
 * size, optional pre-norm, pre-norm transformer blocks, final norm, optional CLIP
 * projection.
 *
 * <p>
 * Parameter names follow timm ({@code cls_token}, {@code reg_token}, {@code pos_embed},
 * {@code patch_embed.proj.weight}, {@code norm_pre.*},
 * {@code blocks.<i>.attn.qkv.weight}, {@code norm.*}, {@code proj}); checkpoint
 * converters map each foreign format onto them.
 */
public final class VisionTransformer extends NamedBlock {

	private final ViTConfig config;

	private final Parameter classToken;

	private final Parameter registerTokens;

	private final Parameter positionEmbedding;

	private final Parameter projection;

	private final PatchEmbedding patchEmbed;

	private final LayerNormalization preNorm;

	private final List<TransformerBlock> blocks = new ArrayList<>();

	private final LayerNormalization norm;

	private final LayerNormalization poolNorm;

	private final MapHead mapHead;

	public VisionTransformer(ViTConfig config) {
		this.config = config;
		int dim = config.embedDim();
		this.classToken = config.classToken() ? addWeight("cls_token", new Shape(1, 1, dim)) : null;
		this.registerTokens = (config.numRegisters() > 0)
				? addWeight("reg_token", new Shape(1, config.numRegisters(), dim)) : null;
		this.positionEmbedding = config.positionEmbedding()
				? addWeight("pos_embed", new Shape(1, config.positionEmbeddingLength(), dim)) : null;
		this.projection = (config.projectionDim() > 0) ? addWeight("proj", new Shape(dim, config.projectionDim()))
				: null;
		this.patchEmbed = addNamedChild("patch_embed",
				new PatchEmbedding(config.patchSize(), 3, dim, config.patchBias()));
		this.preNorm = config.preNorm() ? addNamedChild("norm_pre", new LayerNormalization(dim, config.layerNormEps()))
				: null;
		for (int i = 0; i < config.depth(); i++) {
			this.blocks.add(addNamedChild("blocks." + i, new TransformerBlock(config)));
		}
		this.norm = config.finalNorm() ? addNamedChild("norm", new LayerNormalization(dim, config.layerNormEps()))
				: null;
		this.poolNorm = (config.pooling() == Pooling.MEAN_PATCHES)
				? addNamedChild("fc_norm", new LayerNormalization(dim, config.layerNormEps())) : null;
		this.mapHead = (config.pooling() == Pooling.MAP) ? addNamedChild("attn_pool", new MapHead(config)) : null;
	}

	/**
	 * Builds the model with every parameter allocated (zeros) in {@code manager} and
	 * frozen, ready for {@link #setParameter}; a trainer unlocks what it trains.
	 */
	public static VisionTransformer create(ViTConfig config, NDManager manager) {
		VisionTransformer model = new VisionTransformer(config);
		model.initialize(manager, DataType.FLOAT32, new Shape(1, 3, config.imageSize(), config.imageSize()));
		model.freezeParameters(true);
		return model;
	}

	public ViTConfig config() {
		return this.config;
	}

	/** Every parameter name with its shape, in a stable order. */
	public Map<String, Shape> parameterShapes() {
		Map<String, Shape> shapes = new LinkedHashMap<>();
		for (Pair<String, Parameter> parameter : getParameters()) {
			shapes.put(parameter.getKey(), parameter.getValue().getShape());
		}
		return shapes;
	}

	/** Copies row-major float32 values into the named parameter. */
	public void setParameter(String name, float[] values) {
		Parameter parameter = getParameters().get(name);
		if (parameter == null) {
			throw new IllegalArgumentException("No parameter named '" + name + "'");
		}
		long expected = parameter.getShape().size();
		if (values.length != expected) {
			throw new IllegalArgumentException("Parameter '" + name + "' of shape " + parameter.getShape() + " needs "
					+ expected + " values, got " + values.length);
		}
		ArrayValues.copyInto(parameter.getArray(), values);
	}

	/**
	 * Copies float32 values in native byte order (a direct buffer, read where it lies)
	 * into whole rows of the named parameter's first axis, from {@code firstRow} on; how
	 * a checkpoint streams into the model a bounded piece at a time.
	 */
	public void setParameterRows(String name, long firstRow, ByteBuffer values) {
		Parameter parameter = getParameters().get(name);
		if (parameter == null) {
			throw new IllegalArgumentException("No parameter named '" + name + "'");
		}
		ArrayValues.copyRowsInto(parameter.getArray(), firstRow, values);
	}

	/** Runs the model for inference or training on pixels {@code (B, 3, H, W)}. */
	public ViTOutput forward(ParameterStore store, NDArray pixels, boolean training, boolean keepHiddenStates) {
		return forward(store, pixels, training, keepHiddenStates, ForwardHooks.NONE);
	}

	/**
	 * Runs the model on pixels {@code (B, 3, H, W)} with extra tokens and a hook on the
	 * MLP activations.
	 */
	public ViTOutput forward(ParameterStore store, NDArray pixels, boolean training, boolean keepHiddenStates,
			ForwardHooks hooks) {
		Embedding embedding = embed(store, pixels, training, hooks.appendedTokens());
		List<NDArray> hiddenStates = new ArrayList<>();
		NDArray hidden = runBlocks(store, embedding, training, this.blocks.size(),
				keepHiddenStates ? hiddenStates : null, hooks.mlpHook());
		NDArray tokens = (this.norm != null) ? this.norm.forward(store, hidden, training) : hidden;
		return split(store, pixels, training, embedding, hiddenStates, hidden, tokens);
	}

	/**
	 * Patch embedding, class token, position embedding and registers: the sequence
	 * entering the blocks.
	 */
	private Embedding embed(ParameterStore store, NDArray pixels, boolean training, int appended) {
		Shape shape = pixels.getShape();
		int patch = this.config.patchSize();
		if (shape.dimension() != 4 || shape.get(1) != 3 || shape.get(2) % patch != 0 || shape.get(3) % patch != 0
				|| shape.get(2) == 0 || shape.get(3) == 0) {
			throw new IllegalArgumentException("Expected pixels (B, 3, H, W) with H and W positive multiples of the "
					+ "patch size " + patch + ", got " + shape);
		}
		int gridHeight = (int) (shape.get(2) / patch);
		int gridWidth = (int) (shape.get(3) / patch);
		long batch = shape.get(0);
		int dim = this.config.embedDim();
		NDManager step = pixels.getManager();

		NDArray patches = this.patchEmbed.forward(store, pixels, training);
		NDArray classPosition = null;
		NDArray patchPosition = null;
		if (this.positionEmbedding != null) {
			NDArray fullPosition = value(store, this.positionEmbedding, pixels, training);
			int prefix = this.config.classTokenPositioned() ? 1 : 0;
			// Slices of a parameter belong to the parameter's manager: move them to the
			// step's.
			classPosition = (prefix == 1) ? owned(fullPosition.get(":, :1, :"), step) : null;
			patchPosition = owned(fullPosition.get(":, " + prefix + ":, :"), step);
			int grid = this.config.gridSize();
			if (gridHeight != grid || gridWidth != grid) {
				// (1, G*G, D) -> (G, G, D) -> (h, w, D) -> (1, h*w, D)
				patchPosition = this.config.positionResampling()
					.resample(patchPosition.reshape(grid, grid, dim), gridHeight, gridWidth)
					.reshape(1, (long) gridHeight * gridWidth, dim);
			}
		}
		NDArray positionUsed = (classPosition != null) ? classPosition.concat(patchPosition, 1) : patchPosition;

		// Starting from step-owned zeros keeps the broadcast tokens out of the
		// parameters' manager.
		NDList sequence = new NDList();
		if (this.classToken != null) {
			NDArray cls = broadcastToken(store, this.classToken, pixels, training, batch, 1);
			sequence.add((classPosition != null) ? cls.add(classPosition) : cls);
		}
		NDArray registers = (this.registerTokens != null)
				? broadcastToken(store, this.registerTokens, pixels, training, batch, this.config.numRegisters())
				: null;
		boolean registersFirst = this.config.registerPlacement() == RegisterPlacement.AFTER_CLASS_TOKEN;
		// (B, 1, D) repeated: the mean patch embedding, no position
		NDArray extra = (appended > 0) ? patches.mean(new int[] { 1 }, true).repeat(1, appended) : null;
		if (registersFirst) {
			addPresent(sequence, registers, extra);
		}
		sequence.add((patchPosition != null) ? patches.add(patchPosition) : patches);
		if (!registersFirst) {
			addPresent(sequence, registers, extra);
		}
		int prefix = this.config.classTokens() + this.config.numRegisters();
		int patchCount = gridHeight * gridWidth;
		TokenLayout layout = registersFirst ? new TokenLayout(prefix + appended, patchCount, prefix, appended)
				: new TokenLayout(this.config.classTokens(), patchCount, prefix + patchCount, appended);
		// (B, T, D)
		return new Embedding(patches, positionUsed, NDArrays.concat(sequence, 1), gridHeight, gridWidth, layout);
	}

	private static void addPresent(NDList sequence, NDArray... parts) {
		for (NDArray part : parts) {
			if (part != null) {
				sequence.add(part);
			}
		}
	}

	/**
	 * The token sequence {@code (B, T, D)} after the pre-norm and the first
	 * {@code blockCount} blocks, for dense heads that replace the last block (CLIP's
	 * NACLIP and value heads).
	 */
	public NDArray encode(ParameterStore store, NDArray pixels, boolean training, int blockCount) {
		return encode(store, pixels, training, blockCount, ForwardHooks.NONE);
	}

	/**
	 * {@link #encode(ParameterStore, NDArray, boolean, int)} with extra tokens and a hook
	 * on the MLP activations; the appended tokens stay in the sequence.
	 */
	public NDArray encode(ParameterStore store, NDArray pixels, boolean training, int blockCount, ForwardHooks hooks) {
		return runBlocks(store, embed(store, pixels, training, hooks.appendedTokens()), training, blockCount, null,
				hooks.mlpHook());
	}

	/**
	 * The rotary sine and cosine tables {@code [h·w, head_dim]} of a patch grid, empty
	 * for models without rotary embedding.
	 */
	public NDList rotaryTables(NDManager manager, int gridHeight, int gridWidth) {
		RotaryEmbedding rope = this.config.rope();
		return (rope != null) ? rope.tables(manager, gridHeight, gridWidth, this.config.headDim()) : new NDList();
	}

	private NDArray runBlocks(ParameterStore store, Embedding embedding, boolean training, int blockCount,
			List<NDArray> hiddenStates, MlpActivationHook hook) {
		NDArray embeddings = embedding.tokens();
		NDArray hidden = (this.preNorm != null) ? this.preNorm.forward(store, embeddings, training) : embeddings;
		if (hiddenStates != null) {
			hiddenStates.add(hidden);
		}
		NDList rotary = new NDList();
		for (NDArray table : rotaryTables(embeddings.getManager(), embedding.gridHeight(), embedding.gridWidth())) {
			// in the tokens' type, which is not float32 for a teacher run in a half
			// format
			rotary.add(table.toType(embeddings.getDataType(), false));
		}
		for (int i = 0; i < blockCount; i++) {
			NDList inputs = new NDList(hidden);
			inputs.addAll(rotary);
			int layer = i;
			hidden = this.blocks.get(i)
				.forward(store, inputs, training, (activations) -> hook.apply(layer, activations, embedding.layout()));
			if (hiddenStates != null) {
				hiddenStates.add(hidden);
			}
		}
		return hidden;
	}

	public TransformerBlock block(int index) {
		return this.blocks.get(index);
	}

	/**
	 * The final LayerNorm ({@code norm}, CLIP's {@code ln_post}), null for models whose
	 * trunk ends without one (EVA-02).
	 */
	public LayerNormalization finalNorm() {
		return this.norm;
	}

	/** SigLIP's attention-pooling head, null for other models. */
	public MapHead mapHead() {
		return this.mapHead;
	}

	/**
	 * Applies CLIP's output projection to tokens {@code (B, T, D)}, giving
	 * {@code (B, T, out)}.
	 */
	public NDArray project(ParameterStore store, NDArray tokens, boolean training) {
		if (this.projection == null) {
			throw new IllegalStateException("This model has no output projection");
		}
		return tokens.matMul(value(store, this.projection, tokens, training));
	}

	private ViTOutput split(ParameterStore store, NDArray pixels, boolean training, Embedding embedding,
			List<NDArray> hiddenStates, NDArray prenorm, NDArray tokens) {
		int registers = this.config.numRegisters();
		int patchCount = embedding.gridHeight() * embedding.gridWidth();
		int prefix = this.config.classTokens();
		NDArray cls = (prefix == 1) ? tokens.get(":, 0, :") : null;
		boolean registersFirst = this.config.registerPlacement() == RegisterPlacement.AFTER_CLASS_TOKEN;
		int firstRegister = registersFirst ? prefix : prefix + patchCount;
		NDArray patchTokens = tokens.get(":, " + embedding.layout().patchRange() + ", :");
		NDArray registerTokens = (registers > 0)
				? tokens.get(":, " + firstRegister + ":" + (firstRegister + registers) + ", :") : null;
		NDArray projected = (this.projection != null) ? cls.matMul(value(store, this.projection, pixels, training))
				: null;
		NDArray pooled = switch (this.config.pooling()) {
			case CLASS_TOKEN -> cls;
			case MEAN_PATCHES -> this.poolNorm.forward(store, patchTokens.mean(new int[] { 1 }), training);
			// As timm (pool_include_prefix=False): registers, which the head was never
			// trained with, stay out of the pooled vector.
			case MAP -> this.mapHead.forward(store, patchTokens, training);
		};
		return new ViTOutput(embedding.patches(), embedding.positionUsed(), embedding.tokens(), hiddenStates, prenorm,
				tokens, cls, registerTokens, patchTokens, projected, pooled, embedding.gridHeight(),
				embedding.gridWidth());
	}

	/**
	 * The input side of a forward pass.
	 *
	 * @param patches patch projections {@code (B, N, D)}
	 * @param positionUsed the resampled position embedding {@code (1, N or 1+N, D)}, null
	 * without one
	 * @param tokens the sequence entering the blocks, before the pre-norm
	 * {@code (B, T, D)}
	 * @param layout where the patches and the appended tokens sit in {@code tokens}
	 */
	private record Embedding(NDArray patches, NDArray positionUsed, NDArray tokens, int gridHeight, int gridWidth,
			TokenLayout layout) {
	}

	private static NDArray broadcastToken(ParameterStore store, Parameter token, NDArray pixels, boolean training,
			long batch, int count) {
		NDArray value = value(store, token, pixels, training);
		Shape shape = new Shape(batch, count, value.getShape().get(2));
		return pixels.getManager().zeros(shape, value.getDataType(), pixels.getDevice()).add(value);
	}

	private static NDArray owned(NDArray derived, NDManager step) {
		derived.attach(step);
		return derived;
	}

	@Override
	protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
			PairList<String, Object> params) {
		return new NDList(forward(store, inputs.singletonOrThrow(), training, false).tokens());
	}

	@Override
	public Shape[] getOutputShapes(Shape[] inputShapes) {
		Shape pixels = inputShapes[0];
		long patches = (pixels.get(2) / this.config.patchSize()) * (pixels.get(3) / this.config.patchSize());
		return new Shape[] { new Shape(pixels.get(0), this.config.classTokens() + this.config.numRegisters() + patches,
				this.config.embedDim()) };
	}

}
