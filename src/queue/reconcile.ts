/**
 * What a store does to the state after every update, pure (no fs, no clock): bring each group whose
 * jobs changed back into agreement with the queue, and pick the finished jobs that leave the queue for
 * the archive. Every Store calls it, so every store keeps groups and archive alike.
 *
 * Two steps, because the store reads the group records in between: `groupsToReconcile` says which
 * groups an update touched; `reconcile` syncs those records and splits the queue's jobs.
 */
import type { Group } from '../contracts/group.js';
import type { ArchivedCounts, Job, Queue } from '../contracts/queue.js';
import { addArchivedCounts, selectArchivable } from './archive.js';
import { newGroupRecord, syncGroupWithQueue } from './group-record.js';
import type { PrimaryMetric } from './primary-metric.js';

const STATE_CODES: Record<Job['state'], number> = { queued: 0, running: 1, succeeded: 2, failed: 3, canceled: 4 };

/** What of a job its group record follows, as one number (taken for every job at every update). */
export const jobFingerprint = (j: Job): number => STATE_CODES[j.state] + (j.cancel_requested ? 8 : 0) + j.attempt * 16;

/** Every job's fingerprint, taken before an update runs. */
export const fingerprintJobs = (jobs: readonly Job[]): Map<Job, number> => new Map(jobs.map((j) => [j, jobFingerprint(j)]));

/**
 * The groups an update must reconcile: those it touched (`StateTx.putGroup`/`touchGroup`) and the
 * groups of jobs whose fingerprint changed or that are new (no fingerprint before).
 */
export function groupsToReconcile(jobs: readonly Job[], before: ReadonlyMap<Job, number>, touched: ReadonlySet<string>): Set<string> {
  const ids = new Set(touched);
  for (const job of jobs) {
    if (job.group_id && before.get(job) !== jobFingerprint(job)) ids.add(job.group_id);
  }
  return ids;
}

export interface ReconcileInput {
  /** The queue as the update left it. */
  queue: Queue;
  /** The records of the groups to reconcile (`groupsToReconcile`), by id; undefined: no record yet. */
  groups: ReadonlyMap<string, Group | undefined>;
  /** Primary metrics of runs that just finished, by run id (`StateTx.recordMetric`). */
  metrics: ReadonlyMap<string, PrimaryMetric | null>;
  /** The update's timestamp. */
  now: string;
  /** Written into a group record made here (a group known only from its jobs). */
  createdBy: string;
  /** Workspace-relative result.json path of a run, for the run entries. */
  resultRef: (runId: string) => string;
}

export interface Reconciled {
  /** The group records to write, synced (those given are changed in place). */
  groups: Group[];
  /** The jobs that stay in the queue, in order. */
  jobs: Job[];
  /** The jobs that leave it for the archive, in order (empty: nothing to archive). */
  archive: Job[];
  /** The queue's archived counts once `archive` is moved. */
  archived: ArchivedCounts | undefined;
}

/** Syncs the given groups with the queue (a missing record is made), then picks the jobs to archive. */
export function reconcile(input: ReconcileInput): Reconciled {
  const { queue, now } = input;
  const groups: Group[] = [];
  for (const [groupId, record] of input.groups) {
    const group =
      record ??
      newGroupRecord({
        groupId,
        name: groupId,
        notes: null,
        createdAt: now,
        createdBy: input.createdBy,
        maxParallel: queue.max_parallel,
        planRef: null,
        runs: [],
      });
    // Synced with every job, including those archived below: a run entry follows its newest job.
    syncGroupWithQueue(group, queue.jobs, { now, metrics: input.metrics, resultRef: input.resultRef });
    groups.push(group);
  }
  const { keep, archive } = selectArchivable(queue.jobs);
  if (archive.length === 0) return { groups, jobs: queue.jobs, archive, archived: queue.archived };
  return { groups, jobs: keep, archive, archived: addArchivedCounts(queue.archived, archive) };
}
