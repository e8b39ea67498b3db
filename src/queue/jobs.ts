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

export interface CancelOutcome {
  /** Queued jobs that became `canceled`. */
  canceled: Job[];
  /** Running jobs flagged `cancel_requested` for the daemon to stop. */
  flagged: Job[];
}

/** Cancels a group: queued jobs end at once, running ones are flagged for the daemon. */
export function cancelGroupJobs(queue: Queue, groupId: string, finishedAt: string): CancelOutcome {
  const out: CancelOutcome = { canceled: [], flagged: [] };
  for (const job of queue.jobs) {
    if (job.group_id !== groupId) continue;
    if (job.state === 'queued') {
      job.state = 'canceled';
      job.finished_at = finishedAt;
      job.error = 'Canceled by user';
      out.canceled.push(job);
    } else if (job.state === 'running' && !job.cancel_requested) {
      job.cancel_requested = true;
      out.flagged.push(job);
    }
  }
  return out;
}

/**
 * One new job (attempt + 1, same priority and GPU need) for every run of the group whose newest job
 * failed and that has no queued or running job. `archived`: jobs of the group's runs that were moved
 * to the history (for runs with no job left in the queue).
 */
export function retryFailedJobs(
  queue: Queue,
  groupId: string,
  nextJobId: () => string,
  createdAt: string,
  archived: readonly Job[] = [],
): Job[] {
  // Archived first: on a tie (a job in both files after a crash) the queue's copy wins.
  const groupJobs = [...archived, ...queue.jobs].filter((j) => j.group_id === groupId);
  const added: Job[] = [];
  for (const job of newestJobByRun(groupJobs).values()) {
    if (job.state !== 'failed') continue;
    const retry = makeJob({
      jobId: nextJobId(),
      runId: job.run_id,
      groupId,
      priority: job.priority,
      requiresGpu: job.requires_gpu,
      attempt: job.attempt + 1,
      createdAt,
    });
    queue.jobs.push(retry);
    added.push(retry);
  }
  return added;
}

export type StateCounts = Record<JobState, number>;

export function countByState(jobs: readonly Job[]): StateCounts {
  const counts: StateCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  for (const j of jobs) counts[j.state]++;
  return counts;
}
