/**
 * One run: request.json → device → training process → logs.txt/tokens → result.json. This is the
 * one path for a run. It has three steps: `prepareRun` (prepare.ts: read and check the request, decide
 * the device, write the first log lines, say what process to start), starting that process, and
 * `concludeRun` (conclude.ts: from its exit: metrics, artifacts, result.json, last tokens). `runforge
 * run` does the three in a row with the process's output piped into logs.txt (`executeRun`, here); the
 * daemon does the first and last itself and starts the process detached with its output in a file, so
 * a job costs no Node process of its own and still survives the daemon. What was decided at the start
 * is kept in `<run>/.launch.json` (files/launch-record.ts), so a later daemon can conclude a run the
 * previous one started. Whatever happens (bad request, missing dataset, crash, cancel), the run ends
 * with a result.json.
 */
import { execa } from 'execa';
import { sendSignal } from '../process/signal.js';
import { concludeRun } from './conclude.js';
import type { ProcessExit, RunOutcome } from './outcome.js';
import { type LaunchSpec, type PrepareOptions, prepareRun } from './prepare.js';
import type { RunLog } from './run-log.js';

export interface RunOptions extends PrepareOptions {
  /** Aborted on SIGINT/SIGTERM: the training process is stopped and the run ends `cancelled`. */
  signal: AbortSignal;
}

/** How long a foreground run's program has after SIGTERM before it gets SIGKILL, ms. */
const KILL_AFTER_MS = 10_000;

/**
 * Runs the training process in the foreground, its output line by line into logs.txt. It stays in
 * this run's process group, so whoever stops the run stops both with one signal; on our own
 * SIGINT/SIGTERM it gets SIGTERM, and SIGKILL 10 s later.
 */
async function runChild(log: RunLog, spec: LaunchSpec, signal: AbortSignal): Promise<ProcessExit> {
  const child = execa(spec.program, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    cleanup: false,
  });
  child.stdout?.setEncoding('utf8').on('data', (c: string) => log.output(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => log.output(c));
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    cancelled = true;
    // Through sendSignal, as every signal RunForge sends; the SIGKILL is ours too (not execa's).
    if (child.pid !== undefined && sendSignal({ pid: child.pid }, 'SIGTERM')) {
      killTimer = setTimeout(() => child.pid !== undefined && sendSignal({ pid: child.pid }, 'SIGKILL'), KILL_AFTER_MS);
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const r = await child;
  clearTimeout(killTimer);
  if (r.signal && !cancelled) {
    // A signal to our whole process group reaches the program and us at once; the program's exit
    // may be seen before our own handler runs. Give it a moment before calling this a failure.
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (signal.aborted) cancelled = true;
  }
  signal.removeEventListener('abort', onAbort);
  log.flush();
  if (r.failed && r.exitCode === undefined && !r.signal && !cancelled) {
    return { exitCode: null, signal: null, cancelled, spawnError: (r as { originalMessage?: string }).originalMessage ?? r.shortMessage };
  }
  return { exitCode: r.exitCode ?? null, signal: r.signal ?? null, cancelled };
}

/** Executes the run in `opts.runDir` in the foreground (`runforge run`). */
export async function executeRun(opts: RunOptions): Promise<RunOutcome> {
  const prepared = await prepareRun(opts);
  if ('outcome' in prepared) return prepared.outcome;
  const exit = await runChild(prepared.log, prepared.spec, opts.signal);
  return concludeRun({ runDir: opts.runDir, clock: opts.clock, log: prepared.log, record: prepared.record, exit });
}
