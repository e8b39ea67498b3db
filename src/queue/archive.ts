/**
 * Which finished jobs leave queue.json for the append-only history (history.jsonl), pure. The queue
 * then holds the active jobs and a bounded tail of finished ones, so the cost of every command follows
 * the active jobs, not the history.
 *
 * Retention rule: once queue.json holds more than RETAINED_FINISHED_JOBS + ARCHIVE_BATCH finished
 * jobs, the runs whose newest finished job is not among the newest RETAINED_FINISHED_JOBS finished jobs
 * (by finish time) are archived — all of a run's jobs at once, and never a run that still has a queued
 * or running job. Whole runs move together so that a run's newest job is always in queue.json when any
 * of its jobs is: the group records (which follow a run's newest job) and attempt numbers stay right.
 */
import type { ArchivedCounts, Job } from '../contracts/queue.js';
import { parseTimestamp } from '../infra/time.js';
import { isActive } from './jobs.js';

/** Finished jobs kept in queue.json after an archive (the newest by finish time, whole runs). */
export const RETAINED_FINISHED_JOBS = 200;
/** How far past the retention queue.json may grow before archiving: one append per this many finishes. */
export const ARCHIVE_BATCH = 100;

export interface ArchiveSplit {
  keep: Job[];
  archive: Job[];
}

/** Splits the queue's jobs into those that stay and those that move to the history (order kept). */
export function selectArchivable(
  jobs: readonly Job[],
  retained = RETAINED_FINISHED_JOBS,
  batch = ARCHIVE_BATCH,
): ArchiveSplit {
  const finished: { job: Job; at: number; index: number }[] = [];
  jobs.forEach((job, index) => {
    if (!isActive(job)) finished.push({ job, at: finishedInstant(job), index });
  });
  if (finished.length <= retained + batch) return { keep: [...jobs], archive: [] };
  const activeRuns = new Set(jobs.filter(isActive).map((j) => j.run_id));
  finished.sort((a, b) => b.at - a.at || b.index - a.index);
  const keptRuns = new Set(finished.slice(0, retained).map((f) => f.job.run_id));
  const keep: Job[] = [];
  const archive: Job[] = [];
  for (const job of jobs) {
    if (isActive(job) || activeRuns.has(job.run_id) || keptRuns.has(job.run_id)) keep.push(job);
    else archive.push(job);
  }
  return { keep, archive };
}

function finishedInstant(job: Job): number {
  return parseTimestamp(job.finished_at ?? job.started_at ?? job.created_at) ?? 0;
}

/** The queue's archived counts after moving `moved` jobs to the history. */
export function addArchivedCounts(counts: ArchivedCounts | undefined, moved: readonly Job[]): ArchivedCounts {
  const next: ArchivedCounts = { ...counts, succeeded: counts?.succeeded ?? 0, failed: counts?.failed ?? 0, canceled: counts?.canceled ?? 0 };
  for (const job of moved) if (job.state !== 'queued' && job.state !== 'running') next[job.state]++;
  return next;
}

/**
 * Jobs of the history that are not (also) in queue.json, one per job id. A crash between the history
 * append and the queue write leaves a job in both files: queue.json wins; among repeated history lines
 * the last one wins.
 */
export function mergeArchived(queueJobs: readonly Job[], archived: readonly Job[]): Job[] {
  const inQueue = new Set(queueJobs.map((j) => j.job_id));
  const byId = new Map<string, Job>();
  for (const job of archived) if (!inQueue.has(job.job_id)) byId.set(job.job_id, job);
  return [...byId.values()];
}
