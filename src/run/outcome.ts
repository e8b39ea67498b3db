/**
 * How a run ends: its outcome types, and `finish` — the one place a run's result.json is made (the
 * primary metric decided, the artifacts listed, the last tokens logged) and written.
 */
import type { ResultStatus, RunResult } from '../contracts/result.js';
import type { Clock } from '../infra/clock.js';
import { formatUtcSeconds } from '../infra/time.js';
import { chosenMetricOf, decidePrimaryMetric } from '../queue/primary-metric.js';
import { writeResult } from './files/documents.js';
import { listArtifacts } from './files/trainer-output.js';
import type { RunLog } from './run-log.js';
import { stageToken } from './tokens.js';

export interface RunOutcome {
  status: ResultStatus;
  result: RunResult;
  /**
   * With `deferWrite`: settles once result.json is in place; rejects
   * when it could not be written. Otherwise the outcome is only returned once it is.
   */
  written?: Promise<void>;
}

/** How the training process ended. */
export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
  /** Stopped on request (Ctrl-C of a foreground run). */
  cancelled: boolean;
  /** Set when the program could not be started at all. */
  spawnError?: string | undefined;
}

/** An outcome decided outside the process: a timeout, a cancel, a daemon shutdown. */
export type { StopVerdict } from '../queue/transitions.js';

/** What `finish` needs to know of the run it ends. */
export interface RunContext {
  runDir: string;
  clock: Clock;
  log: RunLog;
  startedMs: number;
  jobId: string | null;
  /** The request's name, repeated in result.json for lists of runs. */
  name: string | null;
  /** Return the outcome before result.json is written (see `RunOutcome.written`). */
  deferWrite?: boolean | undefined;
  /** When the process ended, ms, if that was before now (a run concluded after a daemon restart). */
  endedMs?: number | undefined;
}

/** result.json's `error` field. */
export function errorResult(message: string, type: string): Pick<RunResult, 'error'> {
  return { error: { message, type } };
}

/** Ends a run with `status`: its result.json (written, or on its way with `deferWrite`) and last tokens. */
export async function finish(ctx: RunContext, status: ResultStatus, extra: Partial<RunResult>): Promise<RunOutcome> {
  const finishedMs = ctx.endedMs ?? ctx.clock.now();
  const result: RunResult = {
    version: 1,
    status,
    duration_ms: Math.max(0, finishedMs - ctx.startedMs),
    started_at: formatUtcSeconds(ctx.startedMs),
    finished_at: formatUtcSeconds(finishedMs),
    ...(ctx.jobId ? { job_id: ctx.jobId } : {}),
    ...(ctx.name ? { name: ctx.name } : {}),
    ...extra,
  };
  // The one place a run's primary metric is decided (whatever the trainer proposed): docs/training.md.
  if (result.summary?.metrics && result.summary.primary_metric?.name !== 'dry_run') {
    const primary = decidePrimaryMetric(result.summary.metrics, chosenMetricOf(result));
    result.summary = { ...result.summary, primary_metric: primary ? { ...primary } : null };
  }
  result.artifacts = extra.artifacts ?? listArtifacts(ctx.runDir);
  if (status === 'succeeded') ctx.log.token(stageToken('COMPLETED'));
  else {
    if (result.error) ctx.log.error(result.error.message);
    ctx.log.token(stageToken('FAILED'));
  }
  // The recovery records (launch, end) are the store's: whoever wrote them clears them once this is written.
  const written = writeResult(ctx.runDir, result);
  if (ctx.deferWrite) return { status, result, written };
  await written;
  return { status, result };
}
