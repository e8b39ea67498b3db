/** Controlling groups: pause, resume, retry failed runs, cancel. Each is one store update. */
import type { Group } from '../contracts/group.js';
import type { Job } from '../contracts/queue.js';
import { MissingFilesError, OperationFailedError, UsageError } from '../infra/errors.js';
import { activeJobOf, isActive } from '../queue/jobs.js';
import { cancelGroupJobs, cancelQueuedJob, requestCancel, retryFailedJobs } from '../queue/transitions.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { StateTx, Store } from '../store/store.js';
import { resolveGroupId, resolveJobId, resolveRunId } from './ids.js';

async function requireGroup(tx: StateTx, groupId: string): Promise<Group> {
  const group = await tx.getGroup(groupId);
  if (!group) throw new MissingFilesError(`Group not found: ${groupId}`);
  return group;
}

export interface PauseOutcome {
  group: Group;
  /** False when the group already was in the asked state. */
  changed: boolean;
}

/** Pauses or resumes a group: while paused the daemon starts nothing from it. */
export async function setGroupPaused(
  store: Store,
  ws: WorkspacePaths,
  typedGroupId: string,
  paused: boolean,
): Promise<PauseOutcome> {
  const groupId = await resolveGroupId(store, ws, typedGroupId);
  return store.update(async (tx) => {
    const group = await requireGroup(tx, groupId);
    const changed = group.paused !== paused;
    group.paused = paused;
    if (changed) tx.putGroup(group);
    return { group, changed };
  });
}

export interface RetryOutcome {
  group: Group;
  jobs: Job[];
}

/** One new job per failed run of the group (attempt + 1); never duplicates a queued or running job. */
export async function retryFailed(store: Store, ws: WorkspacePaths, typedGroupId: string): Promise<RetryOutcome> {
  const groupId = await resolveGroupId(store, ws, typedGroupId);
  return store.update(async (tx) => {
    const group = await requireGroup(tx, groupId);
    // Failed runs with no job left in queue.json were archived; the group record still knows them.
    const inQueue = new Set(tx.queue.jobs.filter((j) => j.group_id === groupId).map((j) => j.run_id));
    const archivedFailed = new Set(group.runs.filter((r) => r.status === 'failed' && !inQueue.has(r.run_id)).map((r) => r.run_id));
    const archived = await tx.findArchivedJobs(archivedFailed);
    const jobs = retryFailedJobs(tx.queue, groupId, () => tx.newJobId(), tx.now, archived);
    if (jobs.length > 0) {
      group.execution.cancelled = false;
      tx.putGroup(group);
    }
    return { group, jobs };
  });
}

export interface CancelGroupOutcome {
  group: Group;
  /** Queued jobs canceled at once. */
  canceled: Job[];
  /** Running jobs flagged for the daemon to stop. */
  flagged: Job[];
}

/** Cancels a group's queued jobs at once and flags its running jobs for the daemon to stop. */
export async function cancelGroup(store: Store, ws: WorkspacePaths, typedGroupId: string): Promise<CancelGroupOutcome> {
  const groupId = await resolveGroupId(store, ws, typedGroupId);
  return store.update(async (tx) => {
    const group = await requireGroup(tx, groupId);
    const { canceled, flagged } = cancelGroupJobs(tx.queue, groupId, tx.now);
    // Runs never enqueued (pending) are cancelled too: nothing of the group is left to run.
    for (const run of group.runs) if (run.status === 'pending') run.status = 'canceled';
    group.execution.cancelled = true;
    tx.putGroup(group);
    return { group, canceled, flagged };
  });
}

export interface CancelRunOutcome {
  job: Job;
  /** `canceled` at once (queued) or `stopping` (running: the daemon stops it). */
  outcome: 'canceled' | 'stopping';
}

/** Cancels one job, found by job id or as the queued/running job of a run. */
export async function cancelRun(
  store: Store,
  ws: WorkspacePaths,
  target: { runId?: string | undefined; jobId?: string | undefined },
): Promise<CancelRunOutcome> {
  if ((target.runId === undefined) === (target.jobId === undefined)) {
    throw new UsageError('cancel-run needs exactly one of --run-id or --job-id');
  }
  // Prefixes and `latest` resolved before the lock: ids are never reused, so they cannot go stale.
  const runId = target.runId === undefined ? undefined : await resolveRunId(store, ws, target.runId);
  const jobId = target.jobId === undefined ? undefined : await resolveJobId(store, target.jobId);
  target = { runId, jobId };
  return store.update(async (tx) => {
    let job: Job | undefined;
    if (target.jobId !== undefined) {
      job = tx.queue.jobs.find((j) => j.job_id === target.jobId) ?? (await tx.findArchivedJob(target.jobId));
      if (!job) throw new MissingFilesError(`Job not found: ${target.jobId}`);
      if (!isActive(job)) throw new OperationFailedError(`Job ${job.job_id} already finished (${job.state}); nothing to cancel`);
    } else {
      job = activeJobOf(tx.queue, target.runId!);
      if (!job) {
        const known =
          tx.queue.jobs.some((j) => j.run_id === target.runId) ||
          (await tx.findArchivedJobs(new Set([target.runId!]))).length > 0;
        if (!known) throw new MissingFilesError(`No job for run ${target.runId} in the queue`);
        throw new OperationFailedError(`Run ${target.runId} has no queued or running job; nothing to cancel`);
      }
    }
    if (job.state === 'queued') {
      cancelQueuedJob(job, tx.now);
      return { job, outcome: 'canceled' };
    }
    requestCancel(job);
    return { job, outcome: 'stopping' };
  });
}
