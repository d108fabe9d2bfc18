package ai.phreg.job;

import java.util.List;

/**
 * One page of a job listing.
 *
 * @param jobs the jobs on the page, newest first
 * @param total how many jobs match, on every page
 */
public record JobList(List<JobView> jobs, int total) {

}
