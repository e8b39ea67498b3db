import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DaemonHandle, waitFor } from '../tests/helpers/daemon.js';
import { intervals } from '../tests/helpers/workspace.js';

/**
 * What every gauntlet uses: the built CLI run as separate processes, real daemons, temp workspaces —
 * the same helpers as the integration tests (tests/helpers), without the test runner.
 */
export { runCli, parseJsonOut, CLI } from '../tests/helpers/cli.js';
export { startDaemon, stopAllDaemons, waitFor, queueJobs, allDone, withFakeGpus, withoutGpus, type DaemonHandle } from '../tests/helpers/daemon.js';
export {
  tempWorkspace,
  removeTempWorkspaces,
  baseRequest,
  commandPlan,
  timedCommand,
  intervals,
  maxConcurrency,
  readJson,
  writeRun,
  writePlan,
  samplePlan,
  groupFile,
  queueFile,
} from '../tests/helpers/workspace.js';
export { enqueuePlan } from '../tests/helpers/queue.js';
export { openBrowser, startUi, closeBrowsersAndServers, screenshot } from '../tests/helpers/browser.js';

export interface GauntletResult {
  pass: boolean;
  /** What was observed: sampled concurrency, start order, states. */
  evidence: string;
  /** Why it failed. */
  reason?: string;
}

export interface Gauntlet {
  id: string;
  title: string;
  run(): Promise<GauntletResult>;
}

/** Collects checks; the first failed one is the reason. */
export class Checks {
  private failures: string[] = [];
  readonly evidence: string[] = [];
  check(ok: boolean, what: string): void {
    if (!ok) this.failures.push(what);
  }
  note(line: string): void {
    this.evidence.push(line);
  }
  result(): GauntletResult {
    return this.failures.length === 0
      ? { pass: true, evidence: this.evidence.join('; ') }
      : { pass: false, evidence: this.evidence.join('; '), reason: this.failures.join('; ') };
  }
}

/** Samples `sample()` every `everyMs` until `stop()` is true; returns the samples. */
export async function sampleWhile<T>(sample: () => T, stop: () => boolean, everyMs = 50, timeoutMs = 120_000): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!stop() && Date.now() < deadline) {
    try {
      out.push(sample());
    } catch {
      // the file was being replaced
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return out;
}

/**
 * A job that holds until the gauntlet lets it go, so what is running at a given step does not depend
 * on how fast a loaded machine is. It writes the environment it was given to `<run>/job-env.txt`,
 * stamps `<run-dir> start <ns> <CUDA_VISIBLE_DEVICES>` into events.log (the format `intervals` reads),
 * waits until `release/<run-id>` or `release/all` exists in the workspace, then stamps its end. It
 * also ends once its run folder is gone: a gauntlet that failed removes its workspace, and its gated
 * jobs (which outlive their daemon on purpose) must not wait for ever.
 */
export function gatedCommand(): string[] {
  return [
    'sh',
    '-c',
    'r=$(basename "$RUNFORGE_RUN_DIR"); env > "$RUNFORGE_RUN_DIR/job-env.txt"; ' +
      'echo "$RUNFORGE_RUN_DIR start $(date +%s%N) $CUDA_VISIBLE_DEVICES" >> events.log; ' +
      'while [ ! -e "release/$r" ] && [ ! -e release/all ] && [ -d "$RUNFORGE_RUN_DIR" ]; do sleep 0.05; done; ' +
      'echo "$RUNFORGE_RUN_DIR end $(date +%s%N)" >> events.log',
  ];
}

/** Lets gated jobs go: one run, or `all` (every gated job now and later). */
export function release(ws: string, ...runIds: string[]): void {
  mkdirSync(path.join(ws, 'release'), { recursive: true });
  for (const id of runIds) writeFileSync(path.join(ws, 'release', id), '');
}

/** The environment a gated job recorded (`<run>/job-env.txt`). */
export function jobEnv(ws: string, runId: string): Map<string, string> {
  const text = readFileSync(path.join(ws, '.ml', 'runs', runId, 'job-env.txt'), 'utf8');
  return new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export interface QueueToken {
  kind: 'started' | 'done';
  jobId: string;
  runId: string;
  /** JOB_STARTED: the daemon gave the job a GPU (` gpu=true`). */
  gpu: boolean;
  /** JOB_DONE: the job's final state. */
  status?: string;
}

const TOKEN = /^\[RF:QUEUE=(JOB_STARTED|JOB_DONE) (\S+) run_id=(\S+?)( gpu=true)?( status=(\w+))?\]$/;

/** The daemon's `[RF:QUEUE=JOB_STARTED …]` / `[RF:QUEUE=JOB_DONE …]` lines so far, in order. */
export function queueTokens(d: DaemonHandle): QueueToken[] {
  const out: QueueToken[] = [];
  for (const line of d.output().split('\n')) {
    const m = TOKEN.exec(line.trim());
    if (!m) continue;
    out.push({ kind: m[1] === 'JOB_STARTED' ? 'started' : 'done', jobId: m[2]!, runId: m[3]!, gpu: m[4] !== undefined, ...(m[6] ? { status: m[6] } : {}) });
  }
  return out;
}

/** Run ids in the order the daemon said it started them. */
export const startedRuns = (d: DaemonHandle): string[] => queueTokens(d).filter((t) => t.kind === 'started').map((t) => t.runId);
/** Run ids the daemon said ended. */
export const doneRuns = (d: DaemonHandle): string[] => queueTokens(d).filter((t) => t.kind === 'done').map((t) => t.runId);

/**
 * Waits until the daemon has said it started `n` jobs and each of them has stamped its start (the
 * daemon says so once queue.json records it; the job's own stamp may come a moment later).
 */
export async function waitForStarts(d: DaemonHandle, ws: string, n: number, timeoutMs = 60_000): Promise<string[]> {
  try {
    return await waitFor(`${n} jobs started`, () => {
      const runs = startedRuns(d);
      if (runs.length < n) return undefined;
      const stamped = new Set(intervals(ws).filter((i) => !Number.isNaN(i.start)).map((i) => i.run));
      return runs.every((r) => stamped.has(r)) ? runs : undefined;
    }, timeoutMs);
  } catch (err) {
    const runs = startedRuns(d).map((r) => r.replace(/^.*-(run-\d+)$/, '$1'));
    throw new Error(`${(err as Error).message} (the daemon started ${runs.length}: ${runs.join(', ') || 'none'})`, { cause: err });
  }
}

/** Waits until the daemon has said each of `runIds` ended. */
export async function waitForDone(d: DaemonHandle, runIds: string[], timeoutMs = 60_000): Promise<void> {
  await waitFor(`${runIds.join(', ')} done`, () => runIds.every((r) => doneRuns(d).includes(r)), timeoutMs);
}
