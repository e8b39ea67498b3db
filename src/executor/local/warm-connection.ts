/**
 * One warm worker process, from spawn to exit: how it is started (detached, its stderr to the worker
 * log), how its stdout is read (one JSON message per line), and what the client keeps of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TimerHandle } from '../../infra/clock.js';
import type { ChildOutcome } from '../../process/spawn.js';
import { PYTHON_DIR } from '../../python-env/find-python.js';

/** Why a worker process ended: asked to (idle, closed), or not (crashed, start-failed). */
export type WorkerExitReason = 'idle' | 'closed' | 'crashed' | 'start-failed';

export interface RunRecord {
  id: string;
  pid: number;
  startTime: string | null;
  exitStatusFile: string;
  settle: (outcome: ChildOutcome) => void;
}

export interface Pending {
  resolve: (started: { pid: number; startTime: string | null }) => void;
  reject: (err: Error) => void;
  timer: TimerHandle;
}

/** One worker process, from spawn to exit. */
export interface Connection {
  child: ChildProcess;
  pid: number | null;
  ready: Promise<void>;
  isReady: boolean;
  pending: Map<string, Pending>;
  runs: Map<string, RunRecord>;
  /** Resolves once the worker has exited and its stdout is drained. */
  gone: Promise<void>;
  isGone: boolean;
  /** Set when we asked it to stop. */
  stopReason?: WorkerExitReason;
  /** Exit events read before the run's `started` reply was handled (both in one stdout chunk). */
  early: Map<string, ChildOutcome>;
}

/** Starts `python -m runforge_trainer.worker` detached; `logOffset`: the worker log's size before it. */
export function spawnWorkerProcess(o: { python: string; logFile: string; env: NodeJS.ProcessEnv; preloadTorch: boolean }): { child: ChildProcess; logOffset: number } {
  const args = ['-m', 'runforge_trainer.worker', ...(o.preloadTorch ? ['--preload-torch'] : [])];
  const logFd = openSync(o.logFile, 'a');
  try {
    const logOffset = statSync(o.logFile).size;
    const child = spawn(o.python, args, {
      cwd: PYTHON_DIR,
      env: { ...o.env, PYTHONPATH: [PYTHON_DIR, o.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONUNBUFFERED: '1' },
      // Own process group: a signal to the daemon's group does not reach it, and it survives the daemon.
      detached: true,
      stdio: ['pipe', 'pipe', logFd],
    });
    return { child, logOffset };
  } finally {
    closeSync(logFd);
  }
}

/** Calls `onLine` with every non-blank line the worker writes to stdout. */
export function onWorkerLines(child: ChildProcess, onLine: (line: string) => void): void {
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
}

/** The last non-empty line written to `file` after `offset`, shortened; undefined when none. */
export function lastLine(file: string, offset: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const start = Math.max(offset, size - 4096);
    const buf = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buf, 0, buf.length, start);
    const line = buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).pop();
    return line ? line.slice(0, 300) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
