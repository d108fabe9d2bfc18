package ai.phreg.distill;

/** Receives a report after every optimizer step of a {@link Distiller}. */
@FunctionalInterface
public interface ProgressListener {

	void onStep(StepReport report);

}
