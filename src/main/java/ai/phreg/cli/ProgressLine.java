package ai.phreg.cli;

import java.io.PrintStream;
import java.util.Locale;

import ai.phreg.job.JobPhase;
import ai.phreg.job.JobProgress;
import ai.phreg.job.JobView;

/**
 * A running job's progress as a line: percent, steps per second, time left and loss. On a
 * terminal the line is redrawn in place; otherwise (a log, a pipe) one line is printed
 * per second at most, plus the first and the last step, so a long run does not flood it.
 * Phase changes get a line of their own.
 */
final class ProgressLine {

	private static final long PRINT_INTERVAL_NANOS = 1_000_000_000L;

	private final PrintStream out;

	private final boolean redrawn;

	private JobPhase phase;

	private long lastStep = -1;

	private long lastPrinted = Long.MIN_VALUE;

	private boolean lineOpen;

	ProgressLine(PrintStream out, boolean redrawn) {
		this.out = out;
		this.redrawn = redrawn;
	}

	/** Shows a job view; called on the job's thread at every step and state change. */
	synchronized void show(JobView view) {
		if (view.phase() != null && view.phase() != this.phase) {
			this.phase = view.phase();
			endLine();
			this.out.println("phase: " + this.phase.name().toLowerCase(Locale.ROOT));
		}
		JobProgress progress = view.progress();
		if (progress == null || progress.step() == this.lastStep) {
			return;
		}
		this.lastStep = progress.step();
		long now = System.nanoTime();
		boolean edge = progress.step() == progress.totalSteps() || this.lastPrinted == Long.MIN_VALUE;
		if (!this.redrawn && !edge && now - this.lastPrinted < PRINT_INTERVAL_NANOS) {
			return;
		}
		this.lastPrinted = now;
		if (this.redrawn) {
			this.out.print("\r" + describe(progress) + "\u001b[K");
			this.lineOpen = true;
		}
		else {
			this.out.println(describe(progress));
		}
		this.out.flush();
	}

	/** Ends the redrawn line once the job has ended. */
	synchronized void finish(JobView last) {
		endLine();
		this.out.println("state: " + last.state().name().toLowerCase(Locale.ROOT));
	}

	private void endLine() {
		if (this.lineOpen) {
			this.out.println();
			this.lineOpen = false;
		}
	}

	/** One line: {@code step 12/40  30.0%  1.85 steps/s  ETA 0:15  loss 0.1234 (...)}. */
	static String describe(JobProgress progress) {
		StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "step %d/%d %5.1f%%", progress.step(),
				progress.totalSteps(), progress.percent()));
		Double eta = progress.etaSeconds();
		long left = progress.totalSteps() - progress.step();
		if (eta != null && eta > 0 && left > 0) {
			// The hub times its ETA over this execution's steps: its rate is the same
			// one.
			line.append(String.format(Locale.ROOT, "  %.2f steps/s  ETA %s", left / eta, duration(eta)));
		}
		if (progress.loss() != null) {
			line.append(String.format(Locale.ROOT, "  loss %.4f", progress.loss()));
			if (progress.cosineLoss() != null && progress.mseLoss() != null) {
				line.append(
						String.format(Locale.ROOT, " (cos %.4f, mse %.4f)", progress.cosineLoss(), progress.mseLoss()));
			}
		}
		if (progress.imagesPerSecond() != null) {
			line.append(String.format(Locale.ROOT, "  %.1f img/s", progress.imagesPerSecond()));
		}
		return line.toString();
	}

	/** {@code m:ss}, or {@code h:mm:ss} from an hour. */
	static String duration(double seconds) {
		long whole = Math.round(seconds);
		long hours = whole / 3600;
		long minutes = (whole % 3600) / 60;
		long rest = whole % 60;
		return (hours > 0) ? String.format(Locale.ROOT, "%d:%02d:%02d", hours, minutes, rest)
				: String.format(Locale.ROOT, "%d:%02d", minutes, rest);
	}

}
