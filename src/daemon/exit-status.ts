/** When a job's process ended, for a daemon that concludes the run later (after a restart). */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Job } from '../contracts/queue.js';
import { resultBelongsTo } from '../queue/recovery.js';
import { runDir, type WorkspacePaths } from '../workspace/paths.js';
import { readResult } from '../workspace/run-documents.js';
import { readExitFile } from '../process/exit-status.js';
import { isSameProcess } from '../process/identity.js';

/**
 * The instant a job's process ended: its exit-status file is written as the program exits (the job's
 * shell, `recordExitStatus`, or the warm worker), so the file's mtime is that instant. A daemon that
 * concludes the run only after a restart records this, not the time of the conclusion (a 5 s run
 * concluded 10 s later lasted 5 s). Clamped to [startedMs, nowMs] against a skewed clock; undefined
 * when the file cannot be read.
 */
export function exitTimeOf(exitFile: string, startedMs: number, nowMs: number): number | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(exitFile).mtimeMs;
  } catch {
    return undefined;
  }
  return Math.min(nowMs, Math.max(startedMs, Math.round(mtimeMs)));
}

/** The exit status file a job's process leaves in its run folder (as daemon.ts writes it). */
export const exitFileOf = (dir: string): string => path.join(dir, '.exit_status');

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
  const exit = readExitFile(exitFileOf(runDir(ws, job.run_id)));
  const result = await readResult(ws, job.run_id).catch(() => undefined);
  const own = result && resultBelongsTo(result, job) ? result : undefined;
  if (exit || own) return { exit_code: exit?.exitCode ?? (typeof own?.exit_code === 'number' ? own.exit_code : null), result_status: own?.status ?? null };
  if (canSeeProcesses && job.pid && !isSameProcess(job.pid, job.process_start_time)) return { exit_code: null, result_status: null };
  return undefined;
}
