/**
 * Job state transitions on a queue snapshot: pure functions, no I/O, no clock (timestamps are passed
 * in). The CLI and the daemon apply them inside one locked read-modify-write of the state.
 */
import { type JobState, TERMINAL_JOB_STATES } from '../contracts/constants.js';
import type { Job, Queue } from '../contracts/queue.js';
import { parseTimestamp } from '../infra/time.js';

export interface NewJob {
  jobId: string;
  runId: string;
  groupId: string | null;
  priority: number;
  requiresGpu: boolean;
  attempt: number;
  createdAt: string;
}

export function makeJob(spec: NewJob): Job {
  return {
    job_id: spec.jobId,
    kind: 'run',
    run_id: spec.runId,
    group_id: spec.groupId,
    priority: spec.priority,
    state: 'queued',
    requires_gpu: spec.requiresGpu,
    attempt: spec.attempt,
    created_at: spec.createdAt,
    started_at: null,
    finished_at: null,
    error: null,
  };
}

export const isActive = (job: Job): boolean => job.state === 'queued' || job.state === 'running';
export const isTerminal = (state: JobState): boolean => TERMINAL_JOB_STATES.has(state);

const instant = (ts: string | null | undefined): number => (ts ? (parseTimestamp(ts) ?? 0) : 0);

/**
 * The newest job of each run (highest attempt; among equals the later-created, then the later in the
 * file). Runs are keyed by run id.
 */
export function newestJobByRun(jobs: readonly Job[]): Map<string, Job> {
  const newest = new Map<string, Job>();
  for (const job of jobs) {
    const seen = newest.get(job.run_id);
    if (
      !seen ||
      job.attempt > seen.attempt ||
      (job.attempt === seen.attempt && instant(job.created_at) >= instant(seen.created_at))
    ) {
      newest.set(job.run_id, job);
    }
  }
  return newest;
}

/** The queued or running job of a run, if any. */
export function activeJobOf(queue: Queue, runId: string): Job | undefined {
  return queue.jobs.find((j) => j.run_id === runId && isActive(j));
}

export type StateCounts = Record<JobState, number>;

export function countByState(jobs: readonly Job[]): StateCounts {
  const counts: StateCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  for (const j of jobs) counts[j.state]++;
  return counts;
}
