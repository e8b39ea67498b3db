/**
 * A job's state transitions, pure: start, finish, requeue, cancel — and the words a stop leaves in a
 * job and its result. No I/O, no clock (timestamps come in). The CLI's operations (ops/) and the daemon
 * apply them inside one store update.
 *
 *   queued ──start──▶ running ──finish──▶ succeeded | failed | canceled
 *     │                  │  └─requestCancel─▶ (running, cancel_requested) ──finish──▶ canceled
 *     └─cancelQueued─▶ canceled            └─(failed) requeue ─▶ a new queued job, attempt + 1
 */
import type { Job, JobState, Queue } from '../contracts/queue.js';
import type { ResultStatus } from '../contracts/constants.js';
import { makeJob, newestJobByRun } from './jobs.js';

/** Why a job was stopped from outside its process. */
export type StopReason = 'cancel' | 'timeout' | 'shutdown';

/** The error a job canceled by its user records (queue.json), whether it was queued or running. */
export const CANCELED_BY_USER = 'Canceled by user';

/** What a stop from outside makes of a run: the status and error its result.json records. */
export interface StopVerdict {
  status: ResultStatus;
  message: string;
  type: string;
}

/** The result a stop gives a run. `jobTimeoutMs`: the daemon's `--job-timeout`, for the message. */
export function stopVerdict(reason: StopReason, jobTimeoutMs: number): StopVerdict {
  if (reason === 'timeout') return { status: 'failed', message: `Timed out after ${Math.round(jobTimeoutMs / 1000)} s`, type: 'Timeout' };
  if (reason === 'cancel') return { status: 'cancelled', message: CANCELED_BY_USER, type: 'Cancelled' };
  return { status: 'cancelled', message: 'Interrupted by daemon shutdown', type: 'Interrupted' };
}

/** What a Ctrl-C of a foreground run (`runforge run`, a direct sweep) makes of its result. */
export const FOREGROUND_CANCEL: StopVerdict = { status: 'cancelled', message: 'Cancelled', type: 'Cancelled' };

/**
 * The job state a stop leaves. A run interrupted by the daemon's shutdown failed (and is queued again
 * by policy) although its result says cancelled: the user did not ask for it to end.
 */
export function stoppedJobState(reason: StopReason): JobState {
  return reason === 'timeout' || reason === 'shutdown' ? 'failed' : 'canceled';
}

/** How a job runs, once started: what `start` sets in its queue entry. */
export interface RunningAs {
  state: 'running';
  started_at: string;
  finished_at: null;
  error: null;
  exit_code: null;
  pid: number;
  pgid: number;
  process_start_time: string | null;
  gpu_device: number | null;
}

/** queued → running. Returns what it set, to set again if that update was not written. */
export function startJob(job: Job, how: { startedAt: string; pid: number; pgid: number; startTime: string | null; gpuDevice: number | null }): RunningAs {
  const runningAs: RunningAs = {
    state: 'running',
    started_at: how.startedAt,
    finished_at: null,
    error: null,
    exit_code: null,
    pid: how.pid,
    pgid: how.pgid,
    process_start_time: how.startTime,
    gpu_device: how.gpuDevice,
  };
  Object.assign(job, runningAs);
  return runningAs;
}

/** queued | running → a terminal state. */
export function finishJob(job: Job, end: { state: JobState; finishedAt: string; error: string | null; exitCode?: number | null }): void {
  job.state = end.state;
  job.finished_at = end.finishedAt;
  job.error = end.error;
  if (end.exitCode !== undefined && end.exitCode !== null) job.exit_code = end.exitCode;
}

/** A new queued job for the same run (attempt + 1, same priority and GPU need). */
export function requeueJob(job: Job, jobId: string, createdAt: string): Job {
  return makeJob({
    jobId,
    runId: job.run_id,
    groupId: job.group_id,
    priority: job.priority,
    requiresGpu: job.requires_gpu,
    attempt: job.attempt + 1,
    createdAt,
  });
}

/** A queued job canceled before it started. */
export function cancelQueuedJob(job: Job, finishedAt: string): void {
  finishJob(job, { state: 'canceled', finishedAt, error: CANCELED_BY_USER });
}

/** A running job flagged for the daemon to stop; false when it already was. */
export function requestCancel(job: Job): boolean {
  if (job.cancel_requested) return false;
  job.cancel_requested = true;
  return true;
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
      cancelQueuedJob(job, finishedAt);
      out.canceled.push(job);
    } else if (job.state === 'running' && requestCancel(job)) {
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
    const retry = requeueJob(job, nextJobId(), createdAt);
    queue.jobs.push(retry);
    added.push(retry);
  }
  return added;
}
