/**
 * Whether a job that queue.json calls running has in fact ended, read from its run folder by a reader
 * while no daemon is alive to record it (queue-status, watch, doctor). No zod on this path.
 */
import type { Job } from '../contracts/queue.js';
import { resultBelongsTo } from '../queue/recovery.js';
import { isSameProcess } from '../process/identity.js';
import { runDir, type WorkspacePaths } from '../workspace/paths.js';
import { readResult } from './files/documents.js';
import { readExitStatus } from './files/exit-status.js';

/** How a job queue.json calls running really ended: its exit code, or its result.json's status. */
export interface EndedJob {
  exit_code: number | null;
  /** result.json's status, when the run wrote one for this attempt. */
  result_status: string | null;
}

/**
 * Whether the process of a job that queue.json calls running has ended, for a reader while no daemon
 * is alive to record it (after a kill -9): the job left its exit status or a result.json of this
 * attempt, or — `canSeeProcesses`, on the daemon's machine — its PID is gone. Undefined: still running
 * (or it cannot be told).
 */
export async function jobEndedUnrecorded(ws: WorkspacePaths, job: Job, canSeeProcesses: boolean): Promise<EndedJob | undefined> {
  const exit = readExitStatus(runDir(ws, job.run_id));
  const result = await readResult(ws, job.run_id).catch(() => undefined);
  const own = result && resultBelongsTo(result, job) ? result : undefined;
  if (exit || own) return { exit_code: exit?.exitCode ?? (typeof own?.exit_code === 'number' ? own.exit_code : null), result_status: own?.status ?? null };
  if (canSeeProcesses && job.pid && !isSameProcess(job.pid, job.process_start_time)) return { exit_code: null, result_status: null };
  return undefined;
}
