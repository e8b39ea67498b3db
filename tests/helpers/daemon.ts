/** Real daemon processes for integration tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI } from './cli.js';

export interface DaemonHandle {
  proc: ChildProcess;
  pid: number;
  /** Everything printed on stdout so far. */
  output(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `re` (waiting up to `timeoutMs`). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

const running: DaemonHandle[] = [];

/** Kills every daemon started so far and waits for them. */
export async function stopAllDaemons(): Promise<void> {
  for (const d of running.splice(0)) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) {
      d.kill('SIGKILL');
      await d.exited;
    }
  }
}

/** Fast settings so tests do not wait on production intervals. */
export const FAST = ['--heartbeat-interval', '0.5', '--kill-grace', '1', '--shutdown-grace', '2', '--poll-interval', '1'];

export function startDaemon(ws: string, args: string[] = [], env: Record<string, string> = {}): DaemonHandle {
  const proc = spawn(process.execPath, [CLI, 'daemon', '--workspace', ws, ...FAST, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const w of [...waiters]) {
      const line = out.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const handle: DaemonHandle = {
    proc,
    pid: proc.pid!,
    output: () => out,
    stderr: () => err,
    exited,
    kill: (signal = 'SIGTERM') => {
      try {
        proc.kill(signal);
      } catch {
        // gone
      }
    },
    waitForLine: (re, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const line = out.split('\n').find((l) => re.test(l));
        if (line !== undefined) return resolve(line);
        const timer = setTimeout(() => reject(new Error(`daemon printed no line matching ${re} in ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then(() => setTimeout(() => reject(new Error(`daemon exited before printing ${re}:\n${out}\n${err}`)), 100));
      }),
  };
  running.push(handle);
  return handle;
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Reads queue.json, tolerating the moment it is replaced. */
export function queueJobs(ws: string): any[] {
  return JSON.parse(readFileSync(path.join(ws, '.runforge', 'queue', 'queue.json'), 'utf8')).jobs;
}

export const allDone = (ws: string, n: number) => () => {
  const jobs = queueJobs(ws);
  return jobs.length >= n && jobs.every((j) => j.state !== 'queued' && j.state !== 'running') ? jobs : undefined;
};

/** PIDs of live processes whose command line contains every one of `parts` (NUL-separated argv). */
export function findProcesses(...parts: string[]): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (parts.every((p) => argv.includes(p))) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

export const FAKE_GPU_BIN = path.resolve(path.dirname(CLI), '..', '..', 'tests', 'fixtures', 'fake-gpu-bin');
export const FIXTURES = path.resolve(path.dirname(CLI), '..', '..', 'tests', 'fixtures');
/**
 * The stand-in nvidia-smi on PATH, and detection narrowed to it (RUNFORGE_GPU_DETECT=nvidia-smi), so a
 * machine whose PyTorch sees real CUDA devices gives the same results.
 */
export const withFakeGpus = (gpus = '0:16000,1:12000'): Record<string, string> => ({
  PATH: `${FAKE_GPU_BIN}:${process.env.PATH}`,
  FAKE_GPUS: gpus,
  RUNFORGE_GPU_DETECT: 'nvidia-smi',
});
/** No GPU, whatever the machine has (RUNFORGE_GPU_DETECT=none). */
export const withoutGpus = (): Record<string, string> => ({ RUNFORGE_GPU_DETECT: 'none' });
/** A stand-in for a Python whose PyTorch sees one CUDA device (tests/fixtures/fake-cuda-python). */
export const FAKE_CUDA_PYTHON = path.join(FIXTURES, 'fake-cuda-python', 'python');
