/**
 * Process supervision: start a job detached in its own process group with its output going to a
 * file, identify a process across a daemon restart (PID + start time), and terminate a whole process
 * group (SIGTERM, wait, SIGKILL). Every signal RunForge sends goes through `terminateProcessGroup`.
 */
import { accessSync, closeSync, constants as fsConstants, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Clock } from '../infra/clock.js';
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

/** The start time of a process as an opaque string (`linux:<ticks since boot>`), or null if unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19]; // field 22 of the whole line
    return ticks ? `linux:${ticks}` : null;
  } catch {
    return null;
  }
}

/** Process state letter from /proc (R, S, Z…), or null when unknown. */
function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** True if a process with this PID exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return processState(pid) !== 'Z';
}

/** True if `pid` is alive and is the same process that was started at `startTime` (when known). */
export function isSameProcess(pid: number, startTime: string | null | undefined): boolean {
  if (!isAlive(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}

/** The command line of a process (argv), or null when it cannot be read. */
export function processArgv(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
  } catch {
    return null;
  }
}

/**
 * The live process whose command line holds `word` (a job's exit file, which `withExitFile` puts in
 * the shell's argv), with its start time; undefined when there is none. For a job whose launch record
 * did not get to name its PID: the daemon that started it died between the start and that write.
 */
export function findProcessByArgv(word: string): { pid: number; startTime: string | null } | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (processArgv(pid)?.includes(word) && isAlive(pid)) return { pid, startTime: processStartTime(pid) };
  }
  return undefined;
}

/** True while any process of the group exists and is not a zombie. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(0)
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // the process ended while we looked
    }
  }
  return false;
}

/** Sends `signal` to every process of the group (no-op when it is gone). */
export function signalGroup(pgid: number | null | undefined, signal: NodeJS.Signals): void {
  if (!pgid || pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const sleep = (clock: Clock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));

export interface TerminationOutcome {
  /** SIGKILL was needed after the grace period. */
  forced: boolean;
}

/** Terminations under way, by process group: a second request joins the first. */
const terminating = new Map<number, Promise<TerminationOutcome>>();

/**
 * Stops a whole process group: SIGTERM, wait up to `graceMs` for every member to exit, then SIGKILL.
 * Resolves once no process of the group remains (grandchildren included). While a termination of the
 * group is under way, another request gets that one: one SIGTERM, and the SIGKILL `graceMs` after it.
 * (The job's leader, a shell, dies of the SIGTERM at once; whoever then sees the job end and stops
 * what is left of its group must not send a second SIGTERM — programs take a second one as "quit now,
 * skip the clean-up" — nor start the grace again.)
 */
export function terminateProcessGroup(pgid: number, graceMs: number, clock: Clock, pollMs = 50): Promise<TerminationOutcome> {
  const under = terminating.get(pgid);
  if (under) return under;
  const termination = termGraceKill(pgid, graceMs, clock, pollMs).finally(() => terminating.delete(pgid));
  terminating.set(pgid, termination);
  return termination;
}

async function termGraceKill(pgid: number, graceMs: number, clock: Clock, pollMs: number): Promise<TerminationOutcome> {
  if (pgid <= 1) return { forced: false };
  signalGroup(pgid, 'SIGTERM');
  const deadline = clock.now() + graceMs;
  while (clock.now() < deadline) {
    if (!isGroupAlive(pgid)) return { forced: false };
    await sleep(clock, pollMs);
  }
  if (!isGroupAlive(pgid)) return { forced: false };
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 100 && isGroupAlive(pgid); i++) await sleep(clock, pollMs);
  return { forced: true };
}

/** Resolves when a process that is not our child (an adopted job) has exited. */
export async function waitForExit(pid: number, startTime: string | null | undefined, clock: Clock, pollMs = 250): Promise<void> {
  while (isSameProcess(pid, startTime)) await sleep(clock, pollMs);
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

/**
 * The exit status a job's process left in its exit file: a number (the sh wrapper's `$?`) or the warm
 * worker's `{"pid","exit_code","signal"}` (with `pid`, to tell it from another run's). Undefined when
 * there is none, or it is unreadable (cut short: as if there were none).
 */
export function readExitFile(file: string): (ChildOutcome & { pid?: number }) | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text)) return fromShellStatus(Number(text));
  try {
    const status: unknown = JSON.parse(text);
    return isWarmExitStatus(status) ? { pid: status.pid, exitCode: status.exit_code, signal: status.signal } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * WarmExitStatusSchema's check (contracts/warm-worker.ts) written out: status commands read exit files
 * (a job that ended while no daemon ran), and loading zod for it cost queue-status ~60 ms.
 */
function isWarmExitStatus(v: unknown): v is { pid: number; exit_code: number | null; signal: string | null } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(o.pid) && (o.pid as number) > 0 &&
    (o.exit_code === null || Number.isSafeInteger(o.exit_code)) &&
    (o.signal === null || typeof o.signal === 'string')
  );
}

/** How the program under `withExitFile` ended, from how its shell ended. */
export const shellExit = (e: ChildOutcome): ChildOutcome => (e.signal || e.exitCode === null ? e : fromShellStatus(e.exitCode));

/** A shell's `$?`: 128+N means the program was killed by signal N. */
export function fromShellStatus(status: number): ChildOutcome {
  if (status > 128 && status < 128 + 65) {
    const name = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0];
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode: status, signal: null };
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
