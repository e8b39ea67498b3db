/**
 * The spawner: a small Node process that starts the daemon's jobs for it (see spawner.ts). It imports
 * node built-ins only, so it stays small — and starting a process costs in proportion to the size of
 * the process that starts it (fork copies its page tables).
 *
 * It also keeps a pool of started shells waiting for a job (`POOLED_SHELL`): the daemon knows such a
 * shell's PID before the job exists, so it records the job as running with its PID first and lets the
 * job go after — no start waits on a fork, and no job runs that queue.json does not know of.
 *
 * Messages from the daemon (IPC):
 * - `{kind: 'spawn', id, file, args, cwd, env, outputFile}`: start a process now. Answers
 *   `{kind: 'started', id, pid, startTime}` or `{kind: 'failed', id, message}`.
 * - `{kind: 'pool', size, env}`: keep `size` shells waiting, with this environment.
 * - `{kind: 'taken', slot}`: the daemon took that shell; start another.
 * - `{kind: 'go', slot, id, script}`: the shell runs `script`. `{kind: 'discard', slot, id}`: it exits.
 * Pooled shells are announced as `{kind: 'pooled', slot, pid, startTime}`; one that ends before it
 * was given a job as `{kind: 'lost', slot}`. Every process ends with `{kind: 'exit', id, exitCode,
 * signal}` (`id` of the spawn or the go). When the daemon goes away (IPC disconnect) it exits; the
 * jobs it started lead their own sessions and go on, and waiting shells read end-of-file and exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { POOLED_SHELL } from './pooled-shell.js';

type Request =
  | { kind: 'spawn'; id: number; file: string; args: string[]; cwd: string; env: Record<string, string | undefined>; outputFile: string }
  | { kind: 'pool'; size: number; env: Record<string, string | undefined> }
  | { kind: 'taken'; slot: number }
  | { kind: 'go'; slot: number; id: number; script: string }
  | { kind: 'discard'; slot: number; id: number };

const send = (message: unknown): void => {
  if (process.connected) process.send?.(message);
};

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks ? `linux:${ticks}` : null;
  } catch {
    return null;
  }
}

function startNow(m: Extract<Request, { kind: 'spawn' }>): void {
  let fd: number | undefined;
  try {
    fd = openSync(m.outputFile, 'a');
    const child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', fd, fd] });
    child.once('error', (err) => send({ kind: 'failed', id: m.id, message: err.message }));
    if (child.pid === undefined) return;
    const pid = child.pid;
    child.once('exit', (exitCode, signal) => send({ kind: 'exit', id: m.id, exitCode, signal }));
    send({ kind: 'started', id: m.id, pid, startTime: startTime(pid) });
  } catch (err) {
    send({ kind: 'failed', id: m.id, message: (err as Error).message });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---------------------------------------------------------------- the pool

let poolSize = 0;
let poolEnv: Record<string, string | undefined> = {};
let nextSlot = 1;
/** Pooled shells not given a job yet: waiting (announced) or taken by the daemon (its go is coming). */
const shells = new Map<number, { child: ChildProcess; taken: boolean }>();
let refilling = false;
/** Pooled shells in a row that died without a job; past `MAX_LOSSES` the pool is given up (jobs spawn the plain way). */
let losses = 0;
const MAX_LOSSES = 5;

const waitingCount = (): number => [...shells.values()].filter((s) => !s.taken).length;

function refill(): void {
  if (refilling) return;
  refilling = true;
  // After the messages at hand (a go first): a refill is the work nobody is waiting for.
  setImmediate(() => {
    refilling = false;
    for (let n = waitingCount(); n < poolSize && process.connected; n++) {
      if (!addShell()) return;
    }
  });
}

function addShell(): boolean {
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', POOLED_SHELL], { cwd: '/', env: poolEnv, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    return false;
  }
  child.once('error', () => undefined); // reported through 'exit', or by a missing pid
  const pid = child.pid;
  if (pid === undefined) return false;
  const slot = nextSlot++;
  shells.set(slot, { child, taken: false });
  child.stdin!.on('error', () => undefined); // a shell that died: reported through 'exit'
  child.once('exit', () => {
    if (!shells.delete(slot)) return; // given a job or discarded: see go
    send({ kind: 'lost', slot });
    // A shell that cannot wait (a broken /bin/sh?) would otherwise be started again and again.
    if (++losses >= MAX_LOSSES) poolSize = 0;
    refill();
  });
  send({ kind: 'pooled', slot, pid, startTime: startTime(pid) });
  return true;
}

/** The shell of `slot`, no longer pooled; undefined if it died meanwhile (its 'lost' is on its way). */
function release(slot: number): ChildProcess | undefined {
  const shell = shells.get(slot);
  shells.delete(slot);
  return shell?.child;
}

process.on('message', (m: Request) => {
  switch (m.kind) {
    case 'spawn':
      startNow(m);
      return;
    case 'pool':
      poolSize = m.size;
      poolEnv = m.env;
      refill();
      return;
    case 'taken': {
      const shell = shells.get(m.slot);
      if (shell) shell.taken = true;
      refill();
      return;
    }
    case 'go':
    case 'discard': {
      const child = release(m.slot);
      if (!child) return;
      losses = 0;
      child.once('exit', (exitCode, signal) => send({ kind: 'exit', id: m.id, exitCode, signal }));
      // Without a script the shell reads end-of-file at once and exits.
      child.stdin!.end(m.kind === 'go' ? m.script : undefined);
      return;
    }
  }
});
process.on('disconnect', () => process.exit(0));
send({ kind: 'ready' });
