/**
 * Jobs started by a RunForge before 0.6: a `runforge run` process that writes result.json itself. A
 * daemon that re-adopted one records its outcome from result.json, and brings result.json in line with
 * how it ended (a run never ends without one).
 */
import { existsSync } from 'node:fs';
import type { Job } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import { formatUtcSeconds } from '../infra/time.js';
import { primaryMetricOf, type PrimaryMetric } from '../queue/primary-metric.js';
import { jobStateOfResult } from '../queue/recovery.js';
import { type StopReason, stoppedJobState, stopVerdict } from '../queue/transitions.js';
import { readTail } from '../workspace/daemon-files.js';
import { readResult, writeResult } from '../run/files/documents.js';
import { runnerLogFileOf } from '../run/files/names.js';
import { runDir } from '../workspace/paths.js';
import type { DaemonContext } from './context.js';

export interface LegacyOutcome {
  state: Job['state'];
  error: string | null;
  metric: PrimaryMetric | null;
}

export async function settleLegacyResult(
  ctx: DaemonContext,
  jobId: string,
  runId: string,
  stopReason: StopReason | undefined,
  exitCode: number | null,
): Promise<LegacyOutcome> {
  let result: RunResult | undefined;
  try {
    result = await readResult(ctx.ws, runId);
  } catch {
    result = undefined; // a corrupt result.json is replaced by the daemon's own account below
  }
  if (result && typeof result.job_id === 'string' && result.job_id !== jobId) result = undefined;
  const write = async (status: RunResult['status'], message: string, type: string): Promise<void> => {
    await writeResult(runDir(ctx.ws, runId), {
      ...(result ?? { version: 1, duration_ms: 0 }),
      version: 1,
      status,
      job_id: jobId,
      finished_at: formatUtcSeconds(ctx.clock.now()),
      error: { message, type },
    }).catch((err: unknown) => ctx.log.error({ err: String(err) }, 'could not write result.json'));
  };
  if (stopReason) {
    const verdict = stopVerdict(stopReason, ctx.options.jobTimeoutMs);
    // A timeout is the daemon's verdict whatever the run said; a cancelled run keeps its own account.
    if (stopReason === 'timeout' || result?.status !== 'cancelled') await write(verdict.status, verdict.message, verdict.type);
    return { state: stoppedJobState(stopReason), error: verdict.message, metric: null };
  }
  if (result) {
    const state = jobStateOfResult(result.status);
    return { state, error: result.error?.message ?? null, metric: state === 'succeeded' ? primaryMetricOf(result) : null };
  }
  const tail = (await readTail(runnerLogFileOf(runDir(ctx.ws, runId)), 300)).trim().split('\n').pop() ?? '';
  const message = `The run process ${exitCode === null ? 'ended' : `exited with code ${exitCode}`} without writing result.json${tail ? `: ${tail}` : ''}`;
  if (existsSync(runDir(ctx.ws, runId))) await write('failed', message, 'RunnerCrashed');
  return { state: 'failed', error: message, metric: null };
}
