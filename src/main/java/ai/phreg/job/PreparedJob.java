package ai.phreg.job;

/**
 * A job past {@code prepare}, as the later steps read it.
 *
 * @param id the job id
 * @param spec what was asked for
 * @param resolved what it resolved to
 */
record PreparedJob(String id, DistillSpec spec, ResolvedJob resolved) {
}
