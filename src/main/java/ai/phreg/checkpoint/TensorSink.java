package ai.phreg.checkpoint;

import ai.phreg.checkpoint.safetensors.TensorData;

/** Receives the tensors of the checkpoint being written. */
interface TensorSink {

	/** A tensor from values, stored in the export's dtype. */
	void add(String key, long[] shape, float[] values);

	/** A tensor written exactly as {@code stored} holds it, dtype included. */
	void addUnchanged(String key, TensorData stored);

}
