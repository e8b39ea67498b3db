/**
 * Starting a job's process: detached, leading its own process group, its output appended to a file,
 * and (through a tiny sh) its exit status written to a file where a daemon that re-adopts it can read it.
 */
import { accessSync, closeSync, constants as fsConstants, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { processStartTime } from './identity.js';
import { recordExitStatus } from './pooled-shell.js';

export interface ChildOutcome {
  exitCode: number | null;
  signal: string | null;
}

export interface DetachedProcess {
  pid: number;
  /** Process group id: the job leads its own group. */
  pgid: number;
  /** The OS's start time of `pid`, to tell it from a later process that reuses the PID. */
  startTime: string | null;
  /** Settles when the process exits (only for processes this daemon started). */
  exited: Promise<ChildOutcome>;
}

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** File that receives stdout and stderr (appended). */
  outputFile: string;
}

/**
 * Starts `file args` detached, in a new process group, output appended to a file (not a pipe).
 * node:child_process rather than execa here: nothing of execa's is needed (no pipes, no promise of
 * output) and this runs once per job, where every tenth of a millisecond counts (docs/PERFORMANCE.md).
 */
export function spawnDetached(file: string, args: readonly string[], options: SpawnOptions): DetachedProcess {
  const fd = openSync(options.outputFile, 'a');
  try {
    // A file descriptor, not a pipe: the job keeps writing its output if the daemon dies.
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
    const exited = new Promise<ChildOutcome>((resolve) => {
      child.once('error', () => resolve({ exitCode: null, signal: null }));
      child.once('exit', (code, signal) => resolve({ exitCode: code, signal }));
    });
    const pid = child.pid;
    // Spawning failed (e.g. ENOENT): reported through 'error'.
    if (pid === undefined) return { pid: 0, pgid: 0, startTime: null, exited };
    return { pid, pgid: pid, startTime: processStartTime(pid), exited };
  } finally {
    closeSync(fd);
  }
}

/**
 * `program args` under a tiny `sh` that writes the program's exit status to `exitFile` when it ends
 * (`recordExitStatus`, as a pooled shell does): the daemon that started it hears the exit itself, but
 * a daemon that re-adopts the job after a crash can only read it from there. Returns the command to
 * start (detached) instead.
 */
export function withExitFile(program: string, args: readonly string[], exitFile: string): [string, string[]] {
  return ['/bin/sh', ['-c', `"$@"; ${recordExitStatus('"$0"')}`, exitFile, program, ...args]];
}

/** Whether `program` can be started from `cwd` with this PATH (what a spawn would find). */
export function findProgram(program: string, cwd: string, pathVar: string | undefined): string | undefined {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, fsConstants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) {
    const file = path.resolve(cwd, program);
    return executable(file) ? file : undefined;
  }
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(path.resolve(cwd, dir), program);
    if (executable(file)) return file;
  }
  return undefined;
}
