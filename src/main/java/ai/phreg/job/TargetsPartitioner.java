package ai.phreg.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * Splits a job's training images into contiguous shards, one partition of the
 * {@code targets} step each: at most {@code gridSize} shards of nearly equal size. A job
 * without a target cache gets no partition, and the step has nothing to do.
 */
class TargetsPartitioner implements Partitioner {

	static final String FROM = "targets.from";

	static final String TO = "targets.to";

	private final String jobId;

	private final JobInputs inputs;

	TargetsPartitioner(String jobId, JobInputs inputs) {
		this.jobId = jobId;
		this.inputs = inputs;
	}

	@Override
	public Map<String, ExecutionContext> partition(int gridSize) {
		PreparedJob job;
		try {
			job = this.inputs.prepared(this.jobId);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot read the prepared job " + this.jobId, ex);
		}
		Map<String, ExecutionContext> shards = new LinkedHashMap<>();
		if (!job.spec().targetCache()) {
			return shards;
		}
		int images = job.resolved().trainingImages();
		int count = Math.min(gridSize, images);
		for (int shard = 0; shard < count; shard++) {
			ExecutionContext context = new ExecutionContext();
			context.putInt(FROM, (int) ((long) images * shard / count));
			context.putInt(TO, (int) ((long) images * (shard + 1) / count));
			shards.put("shard" + shard, context);
		}
		return shards;
	}

}
