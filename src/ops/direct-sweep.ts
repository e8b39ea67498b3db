/**
 * Direct mode: `runforge sweep --plan P` runs a sweep in the foreground, without the queue, at the
 * plan's `max_parallel`, honouring `fail_fast`; a stop request (Ctrl-C) stops running and pending runs.
 * Each run goes through the same `runforge run` path as the daemon's jobs, in its own process group.
 * A foreground operation: it uses the store for the group record and never the queue.
 */
import type { Group, GroupRunStatus } from '../contracts/group.js';
import type { RunResult } from '../contracts/result.js';
import type { SweepPlan } from '../contracts/plan.js';
import type { Clock } from '../infra/clock.js';
import { formatUtcSeconds } from '../infra/time.js';
import { primaryMetricOf } from '../queue/primary-metric.js';
import { jobStateOfResult } from '../queue/recovery.js';
import { FOREGROUND_CANCEL } from '../queue/transitions.js';
import { readResult, writeResult } from '../run/files/documents.js';
import { runnerLogFileOf } from '../run/files/names.js';
import { groupCanceledToken, groupCompleteToken, groupRunDoneToken, groupRunToken, groupStartToken } from '../run/tokens.js';
import type { Store } from '../store/store.js';
import { resultRef, runDir, type WorkspacePaths } from '../workspace/paths.js';
import { discardSweep, prepareSweep } from './enqueue.js';
import { terminateProcessGroup } from '../process/signal.js';
import { spawnDetached } from '../process/spawn.js';

export interface DirectSweepOptions {
  cliPath: string;
  nodePath: string;
  env: NodeJS.ProcessEnv;
  killGraceMs: number;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Receives the group tokens. */
  emit: (line: string) => void;
  /** Called after each run's RUN_DONE token with its end (the CLI explains a failure in words). */
  onRunDone?: ((runId: string, status: GroupRunStatus, result: RunResult | undefined) => void) | undefined;
}

export interface DirectSweepOutcome {
  group: Group;
  cancelled: boolean;
}

/** A direct sweep under way: what its runs share. */
interface SweepState {
  ws: WorkspacePaths;
  clock: Clock;
  plan: SweepPlan;
  opts: DirectSweepOptions;
  runs: { runId: string }[];
  /** Why the sweep stops early, once it does. */
  stopping: 'cancel' | 'fail_fast' | null;
  /** Run id → process group of the runs running now. */
  running: Map<string, number>;
  save: (change: (g: Group) => void) => Promise<Group>;
}

const stopAll = (s: SweepState): void => {
  for (const pgid of s.running.values()) void terminateProcessGroup(pgid, s.opts.killGraceMs, s.clock);
};

export async function runDirectSweep(
  store: Store,
  ws: WorkspacePaths,
  clock: Clock,
  plan: SweepPlan,
  planDoc: Record<string, unknown>,
  opts: DirectSweepOptions,
): Promise<DirectSweepOutcome> {
  const prepared = await prepareSweep(ws, clock, plan, planDoc);
  const { groupId, runs, group } = prepared;
  const save = (change: (g: Group) => void): Promise<Group> =>
    store.update(async (tx) => {
      const current = (await tx.getGroup(groupId)) ?? group;
      change(current);
      tx.putGroup(current);
      return current;
    });
  // A group record that cannot be written (a full disk): its runs are removed with it.
  await save(() => undefined).catch(async (err: unknown) => {
    await discardSweep(ws, prepared);
    throw err;
  });
  opts.emit(groupStartToken(groupId, runs.length));
  const s: SweepState = { ws, clock, plan, opts, runs, stopping: null, running: new Map(), save };
  const onAbort = (): void => {
    if (!s.stopping) s.stopping = 'cancel';
    // stop_on_cancel: false lets the running runs finish; pending ones are cancelled either way.
    if (plan.execution.stop_on_cancel) stopAll(s);
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length && !s.stopping && !opts.signal.aborted) await runOne(s, next++);
  };
  await Promise.all(Array.from({ length: Math.min(plan.execution.max_parallel, runs.length) }, worker));
  opts.signal.removeEventListener('abort', onAbort);

  const final = await save((g) => {
    for (const r of g.runs) if (r.status === 'pending' || r.status === 'running') r.status = 'canceled';
    if (s.stopping) g.execution.cancelled = true;
  });
  if (s.stopping) opts.emit(groupCanceledToken(groupId));
  opts.emit(groupCompleteToken(groupId, final.summary));
  return { group: final, cancelled: s.stopping === 'cancel' };
}

/** Runs the sweep's run number `index` through `runforge run`, and records how it ended. */
async function runOne(s: SweepState, index: number): Promise<void> {
  const { ws, clock, plan, opts } = s;
  const run = s.runs[index]!;
  opts.emit(groupRunToken(run.runId, index + 1, s.runs.length));
  await s.save((g) => setRun(g, run.runId, { status: 'running' }));
  const dir = runDir(ws, run.runId);
  const startedMs = clock.now();
  const proc = spawnDetached(opts.nodePath, [opts.cliPath, 'run', '--run-dir', dir, '--workspace', ws.root, '--quiet'], {
    cwd: ws.root,
    env: opts.env,
    outputFile: runnerLogFileOf(dir),
  });
  if (proc.pid) s.running.set(run.runId, proc.pgid);
  if (s.stopping === 'fail_fast' || (s.stopping === 'cancel' && plan.execution.stop_on_cancel)) stopAll(s);
  await proc.exited;
  s.running.delete(run.runId);
  let result = await readResult(ws, run.runId).catch(() => undefined);
  // Its `runforge run` went with the program when the group was killed after --kill-grace, before
  // it wrote result.json: a run stopped while running still ends with one (SPEC §5).
  if (!result && s.stopping) result = await writeCancelledResult(dir, startedMs, clock);
  const status = result ? jobStateOfResult(result.status) : s.stopping ? 'canceled' : 'failed';
  const metric = result && status === 'succeeded' ? primaryMetricOf(result) : null;
  await s.save((g) =>
    setRun(g, run.runId, {
      status,
      result_ref: resultRef(run.runId),
      primary_metric: metric?.value ?? null,
      ...(metric ? { primary_metric_name: metric.name, primary_metric_goal: metric.goal } : {}),
    }),
  );
  opts.emit(groupRunDoneToken(run.runId, status));
  opts.onRunDone?.(run.runId, status, result);
  if (status === 'failed' && plan.execution.fail_fast && !s.stopping) {
    s.stopping = 'fail_fast';
    stopAll(s);
  }
}

async function writeCancelledResult(dir: string, startedMs: number, clock: Clock): Promise<RunResult | undefined> {
  const now = clock.now();
  const result: RunResult = {
    version: 1,
    status: 'cancelled',
    duration_ms: now - startedMs,
    started_at: formatUtcSeconds(startedMs),
    finished_at: formatUtcSeconds(now),
    error: { message: FOREGROUND_CANCEL.message, type: FOREGROUND_CANCEL.type },
  };
  return writeResult(dir, result).then(
    () => result,
    () => undefined,
  );
}

function setRun(group: Group, runId: string, fields: Partial<Group['runs'][number]>): void {
  const entry = group.runs.find((r) => r.run_id === runId);
  if (entry) Object.assign(entry, fields);
}
