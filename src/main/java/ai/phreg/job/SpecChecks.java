package ai.phreg.job;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.djl.Device;
import ai.phreg.checkpoint.CheckpointExporter;
import ai.phreg.checkpoint.CheckpointFormat;
import ai.phreg.distill.FamilyProfile;
import ai.phreg.distill.ExecutionSettings;
import ai.phreg.distill.MemoryEstimate;
import ai.phreg.distill.MemoryEstimate.MemoryLimitException;
import ai.phreg.model.ViTConfig;
import ai.phreg.model.VisionTransformer;
import ai.phreg.system.PhregProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Whether a spec can run, as one message per field the user has to change. A submission
 * gets the {@link #cheap} checks, which read headers but no weights or image folders, so
 * a POST answers at once; the {@code validate} step makes the {@link #full} ones against
 * the files as they are when the job runs. Both estimate the memory a training step will
 * need against {@link PhregProperties#memoryLimit()}.
 */
@Component
class SpecChecks {

	private final Teachers teachers;

	private final JobImages images;

	private final Devices devices;

	private final ObjectProvider<JobCheck> further;

	private final long memoryLimit;

	SpecChecks(Teachers teachers, JobImages images, Devices devices, ObjectProvider<JobCheck> further,
			PhregProperties properties) {
		this.teachers = teachers;
		this.images = images;
		this.devices = devices;
		this.further = further;
		this.memoryLimit = properties.memoryLimit().toBytes();
	}

	/** Paths, the teacher's header, the device and what follows from them. */
	Map<String, String> cheap(DistillSpec spec) {
		Map<String, String> problems = new LinkedHashMap<>();
		TeacherDescription teacher = teacher(spec, problems);
		try {
			this.images.checkExists(spec.images());
		}
		catch (IllegalArgumentException ex) {
			problems.put("images", ex.getMessage());
		}
		checkDevice(spec, problems);
		if (teacher != null) {
			checkAgainstTeacher(spec, teacher, problems);
		}
		return problems;
	}

	/**
	 * Everything {@link #cheap} checks, the images themselves, and every
	 * {@link JobCheck}.
	 */
	Map<String, String> full(DistillSpec spec) {
		Map<String, String> problems = new LinkedHashMap<>();
		TeacherDescription teacher = teacher(spec, problems);
		Integer count = null;
		try {
			count = this.images.scan(spec.images()).size();
			if (spec.isAnalysis()) {
				if (spec.evaluationImages() != null && spec.evaluationImages() > count) {
					problems.put("evaluationImages",
							"measures " + spec.evaluationImages() + " images but there are " + count);
				}
			}
			else if (spec.evaluationImages() != null && spec.evaluationImages() >= count) {
				problems.put("evaluationImages", "holds out " + spec.evaluationImages() + " of the " + count
						+ " images; at least one must remain for training");
			}
		}
		catch (IOException | IllegalArgumentException ex) {
			problems.put("images", ex.getMessage());
		}
		checkDevice(spec, problems);
		if (teacher != null) {
			checkAgainstTeacher(spec, teacher, problems);
			if (count != null) {
				for (JobCheck check : this.further.orderedStream().toList()) {
					problems.putAll(check.problems(spec, teacher, count));
				}
			}
		}
		return problems;
	}

	private TeacherDescription teacher(DistillSpec spec, Map<String, String> problems) {
		try {
			return this.teachers.describe(spec.teacher(), spec.heads());
		}
		catch (IOException | IllegalArgumentException ex) {
			problems.put("teacher", ex.getMessage());
			return null;
		}
	}

	/** The device, and whether it runs the teacher precision asked for. */
	private void checkDevice(DistillSpec spec, Map<String, String> problems) {
		Device device;
		try {
			device = this.devices.of(spec.device());
		}
		catch (IllegalArgumentException ex) {
			problems.put("device", ex.getMessage());
			return;
		}
		try {
			spec.teacherPrecision().requireSupported(device);
		}
		catch (IllegalArgumentException ex) {
			problems.put("teacherPrecision", ex.getMessage());
		}
	}

	private void checkAgainstTeacher(DistillSpec spec, TeacherDescription teacher, Map<String, String> problems) {
		int patch = teacher.config().patchSize();
		if (spec.resolution() != null && spec.resolution() % patch != 0) {
			problems.put("resolution",
					"must be a multiple of the teacher's patch size " + patch + ", got " + spec.resolution());
		}
		if (spec.isAnalysis()) {
			// One image at a time through the frozen teacher: no training step to
			// estimate, no student to export.
			checkNeuronSearch(spec.neuronSearch(), teacher, problems);
			return;
		}
		if (spec.resolution() == null || spec.resolution() % patch == 0) {
			checkMemory(spec, teacher, problems);
		}
		checkExports(spec, teacher, problems);
		if (spec.unlock() == Unlock.CUSTOM) {
			try {
				spec.unlock()
					.policy(spec.unlockPatterns())
					.select(new VisionTransformer(teacher.config()
						.toBuilder()
						.optRegisters(1, teacher.config().registerPlacement())
						.build()));
			}
			catch (IllegalArgumentException ex) {
				problems.put("unlockPatterns", ex.getMessage());
			}
		}
	}

	/** The blocks a register neuron search names must exist in the teacher. */
	private static void checkNeuronSearch(NeuronSearchOptions search, TeacherDescription teacher,
			Map<String, String> problems) {
		int depth = teacher.config().depth();
		Integer outlier = search.outlierLayer();
		if (outlier != null && (outlier < -depth || outlier >= depth)) {
			problems.put("outlierLayer", "must name one of the teacher's " + depth + " blocks, from " + -depth + " to "
					+ (depth - 1) + ", got " + outlier);
		}
		if (search.highestLayer() != null && search.highestLayer() >= depth) {
			problems.put("highestLayer", "must be one of the teacher's " + depth + " blocks, at most " + (depth - 1)
					+ ", got " + search.highestLayer());
		}
	}

	/**
	 * Refuses export formats the student cannot be written in, at submission rather than
	 * after training: formats outside the teacher's family, and formats whose writer
	 * cannot hold the student (a family phreg reads but does not write yet). Without
	 * explicit formats the teacher's own is checked, reported on {@code exportFormats}.
	 */
	private void checkExports(DistillSpec spec, TeacherDescription teacher, Map<String, String> problems) {
		ViTConfig taught = teacher.config();
		ViTConfig student = taught.toBuilder()
			.optRegisters(taught.numRegisters() + spec.registers(), teacher.format().registerPlacement())
			.build();
		if (spec.exportFormats().isEmpty()) {
			List<String> unwritable = CheckpointExporter.problems(student, teacher.format());
			if (!unwritable.isEmpty()) {
				problems.put("exportFormats", "the student of this " + teacher.format() + " teacher cannot be exported "
						+ "in its teacher's format: " + String.join("; ", unwritable));
			}
			return;
		}
		Set<CheckpointFormat> writable = FamilyProfile.of(teacher.format()).exportFormats();
		for (int i = 0; i < spec.exportFormats().size(); i++) {
			CheckpointFormat format = spec.exportFormats().get(i);
			if (!writable.contains(format)) {
				problems.put("exportFormats[" + i + "]", "a " + teacher.format() + " teacher's student can be exported"
						+ " as " + writable + ", not " + format);
				continue;
			}
			List<String> unwritable = CheckpointExporter.problems(student, format);
			if (!unwritable.isEmpty()) {
				problems.put("exportFormats[" + i + "]",
						"the student cannot be exported as " + format + ": " + String.join("; ", unwritable));
			}
		}
	}

	/**
	 * Refuses a run whose training step would need more than the memory limit. The
	 * problem is reported on {@code resolution} when the spec sets it (the size that
	 * costs the most, with the square of the side), else on {@code batchSize}: the
	 * resolution is then the teacher's native one, as {@link ResolvedJob} resolves it.
	 */
	private void checkMemory(DistillSpec spec, TeacherDescription teacher, Map<String, String> problems) {
		int resolution = (spec.resolution() != null) ? spec.resolution() : teacher.config().imageSize();
		try {
			MemoryEstimate
				.of(teacher.config(), resolution, spec.batchSize(), spec.views(), spec.registers(),
						ExecutionSettings.DEFAULT_TEACHER_CHUNK)
				.check(this.memoryLimit);
		}
		catch (MemoryLimitException ex) {
			problems.put((spec.resolution() != null) ? "resolution" : "batchSize", ex.getMessage());
		}
	}

}
