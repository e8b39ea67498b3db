/**
 * The small programs the executor contract suite runs (plain `sh -c` scripts and the fixtures of
 * tests/fixtures), the requests that carry them, and how the suite looks at processes from outside
 * the executor: through /proc, so that no executor can pass by reporting what it believes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { JobHandle, LaunchRequest } from '../../src/executor/executor.js';
import { FIXTURES } from '../helpers/daemon.js';

/** A program that notes each SIGTERM it gets under $RUNFORGE_RUN_DIR/probe (`trap` mode) and forks a child that does the same. */
export const TERM_PROBE = path.join(FIXTURES, 'term-probe.py');
/** A program that forks `sleep 299.<digits>` and waits for it. */
export const FORK_GRANDCHILD = path.join(FIXTURES, 'fork-grandchild.sh');

/** A run folder of its own under the workspace (`.ml/runs/<runId>`), as the daemon gives each job. */
export function newRun(workspace: string): { runId: string; runDir: string } {
  const runId = `contract-${randomBytes(4).toString('hex')}`;
  const runDir = path.join(workspace, '.ml', 'runs', runId);
  mkdirSync(runDir, { recursive: true });
  return { runId, runDir };
}

/**
 * A `command` request for `program args`, run from its run folder (so relative file names in the
 * scripts below land there) with PATH and RUNFORGE_RUN_DIR (term-probe.py writes under it).
 */
export function commandRequest(run: { runId: string; runDir: string }, program: string, args: string[], env: Record<string, string> = {}): LaunchRequest {
  return {
    jobId: `job-${run.runId}`,
    runId: run.runId,
    runDir: run.runDir,
    mode: 'command',
    spec: { program, args, cwd: run.runDir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RUNFORGE_RUN_DIR: run.runDir, ...env } },
  };
}

/** `sh -c script` as a request (the script runs in the run folder). */
export const shRequest = (run: { runId: string; runDir: string }, script: string): LaunchRequest => commandRequest(run, '/bin/sh', ['-c', script]);

/** Digits that name one test's grandchild (`sleep 299.<digits>`), to find it in the process table. */
export const uniqueDigits = (): string => String(100_000 + Math.floor(Math.random() * 899_999));

/** The /proc/<pid>/stat fields after the command name (state first), or undefined when it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True when the process exists and is not a zombie (a zombie has ended; only its exit status is left). */
export function isLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** Live (non-zombie) processes of the process group `pgid`. */
export function liveMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields && fields[0] !== 'Z' && Number(fields[2]) === pgid) pids.push(Number(name));
  }
  return pids;
}

/** Live processes whose argv holds each of `words`. */
export function livePidsWithArgv(...words: string[]): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (words.every((w) => argv.includes(w)) && isLive(Number(name))) pids.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

/** Complete lines of a file a program appends to ([] while it does not exist). */
export function linesOf(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(0, -1);
  } catch {
    return [];
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms` (it is left running either way). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every job a test started and every grandchild it made, SIGKILLed after the test whatever happened
 * (a failed test must not leave a process behind for the next one). The test process signals them
 * itself: the executor under test is not trusted with its own clean-up.
 */
export class Leftovers {
  private readonly groups = new Set<number>();
  private readonly pids = new Set<number>();

  job(handle: JobHandle): void {
    if (handle.pgid > 1) this.groups.add(handle.pgid);
  }

  pid(pid: number): void {
    if (pid > 1) this.pids.add(pid);
  }

  killAll(): void {
    for (const pgid of this.groups) {
      if (liveMembers(pgid).length > 0) tryKill(-pgid);
    }
    for (const pid of this.pids) {
      if (isLive(pid)) tryKill(pid);
    }
    this.groups.clear();
    this.pids.clear();
  }
}

function tryKill(id: number): void {
  try {
    process.kill(id, 'SIGKILL');
  } catch {
    // already gone
  }
}
