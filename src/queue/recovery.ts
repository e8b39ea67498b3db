/**
 * Crash recovery (G4), pure: what to do with a job a dead daemon left `running`.
 * - its process is still alive (PID and start time match) → re-adopt it;
 * - else its result.json from this attempt decides;
 * - else it failed ("daemon died while the job was running") and, by the `requeue` policy, a new
 *   attempt is queued while `attempt < maxAttempts`.
 */
import type { Job, JobState } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import { parseTimestamp } from '../infra/time.js';

export type OrphanPolicy = 'requeue' | 'fail';

export type OrphanVerdict =
  | { action: 'adopt' }
  | { action: 'finish'; state: JobState; error: string | null }
  | { action: 'fail'; error: string; requeue: boolean };

export const DAEMON_DIED = 'Daemon died while the job was running';

export function jobStateOfResult(status: RunResult['status']): JobState {
  return status === 'cancelled' ? 'canceled' : status;
}

/** True when result.json was written by this attempt of the job. */
export function resultBelongsTo(result: RunResult, job: Job): boolean {
  if (typeof result.job_id === 'string') return result.job_id === job.job_id;
  // Results without a job id (older tools): it must have finished after this attempt started.
  const finished = result.finished_at ? parseTimestamp(result.finished_at) : undefined;
  const started = job.started_at ? parseTimestamp(job.started_at) : undefined;
  return finished !== undefined && started !== undefined && finished >= started - 1000;
}

export function resolveOrphan(
  job: Job,
  facts: { alive: boolean; result: RunResult | undefined },
  policy: { orphanPolicy: OrphanPolicy; maxAttempts: number },
): OrphanVerdict {
  if (facts.alive) return { action: 'adopt' };
  if (facts.result && resultBelongsTo(facts.result, job)) {
    return { action: 'finish', state: jobStateOfResult(facts.result.status), error: facts.result.error?.message ?? null };
  }
  return { action: 'fail', error: DAEMON_DIED, requeue: policy.orphanPolicy === 'requeue' && job.attempt < policy.maxAttempts };
}
