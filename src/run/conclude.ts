/**
 * Ending a run from how its process ended: its metrics (metrics.jsonl for a user's command, the
 * trainer's summary for the built-in trainer), its status and error, result.json and the last tokens.
 * The daemon concludes here the runs it started (or took over); `runforge run` too (execute.ts).
 */
import type { LaunchRecord } from '../contracts/launch.js';
import type { RunResult } from '../contracts/result.js';
import type { Clock } from '../infra/clock.js';
import { FOREGROUND_CANCEL, type StopVerdict } from '../queue/transitions.js';
import { lastMetricValues, type TrainerSummary, takeTrainerSummary } from './files/trainer-output.js';
import { errorResult, finish, type ProcessExit, type RunContext, type RunOutcome } from './outcome.js';
import type { RunLog } from './run-log.js';

export interface ConcludeOptions {
  runDir: string;
  clock: Clock;
  log: RunLog;
  record: LaunchRecord;
  exit: ProcessExit;
  /** Set when the run was stopped from outside; it decides the status and the error. */
  stop?: StopVerdict | undefined;
  /**
   * Return the outcome as soon as it is known, with result.json on its way (`RunOutcome.written`):
   * the daemon frees the job's slot meanwhile, and writes queue.json only once it is in place.
   */
  deferWrite?: boolean;
  /**
   * When the process ended, ms (its exit-status file's mtime), for a run concluded later than that:
   * its duration and finished_at are the process's, not the time of the conclusion. Default: now.
   */
  endedMs?: number | undefined;
}

const describeExit = (e: ProcessExit): string =>
  e.signal ? `was killed by ${e.signal}` : e.exitCode === null ? 'ended without an exit status (killed while no daemon watched it?)' : `exited with code ${e.exitCode}`;

/** Ends a run from how its process ended: metrics, artifacts, result.json and the last tokens. */
export async function concludeRun(o: ConcludeOptions): Promise<RunOutcome> {
  const { record, exit } = o;
  const ctx: RunContext = { runDir: o.runDir, clock: o.clock, log: o.log, startedMs: record.started_ms, jobId: record.job_id, name: record.name, deferWrite: o.deferWrite, endedMs: o.endedMs };
  const common: Partial<RunResult> = { effective_config: record.effective_config, exit_code: exit.exitCode };
  let summary: TrainerSummary | undefined;
  if (record.mode === 'command') {
    const metrics = await lastMetricValues(o.runDir);
    if (Object.keys(metrics).length > 0) common.summary = { metrics };
  } else {
    summary = takeTrainerSummary(o.runDir);
  }
  if (o.stop) return finish(ctx, o.stop.status, { ...common, ...errorResult(o.stop.message, o.stop.type) });
  if (exit.cancelled) return finish(ctx, 'cancelled', { ...common, ...errorResult(FOREGROUND_CANCEL.message, FOREGROUND_CANCEL.type) });
  if (record.mode === 'command') return concludeCommand(ctx, record, exit, common);
  if (exit.spawnError) return finish(ctx, 'failed', { ...common, ...errorResult(`Could not start ${record.program}: ${exit.spawnError}`, 'PythonNotFound') });
  if (summary?.error) return finish(ctx, 'failed', { ...common, error: summary.error });
  if (exit.exitCode === 0 && summary?.metrics) {
    return finish(ctx, 'succeeded', {
      ...common,
      summary: { metrics: summary.metrics, primary_metric: summary.primary_metric ?? null },
      ...(summary.artifacts ? { artifacts: summary.artifacts } : {}),
    });
  }
  return finish(ctx, 'failed', { ...common, ...errorResult(`The trainer ${describeExit(exit)} without a summary`, 'TrainerCrashed') });
}

/** The end of a user's command: it succeeded when it exited 0. */
function concludeCommand(ctx: RunContext, record: LaunchRecord, exit: ProcessExit, common: Partial<RunResult>): Promise<RunOutcome> {
  if (exit.spawnError) {
    return finish(ctx, 'failed', { ...common, ...errorResult(`Could not start ${record.program}: ${exit.spawnError}`, 'CommandNotFound') });
  }
  if (exit.exitCode === 0) return finish(ctx, 'succeeded', common);
  return finish(ctx, 'failed', { ...common, ...errorResult(`Command ${describeExit(exit)}`, 'CommandFailed') });
}
