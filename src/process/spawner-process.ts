/**
 * The spawner: a small Node process that starts the daemon's jobs for it (see spawner.ts). It imports
 * node built-ins only, so it stays small — and starting a process costs in proportion to the size of
 * the process that starts it (fork copies its page tables).
 *
 * It also keeps a pool of started shells waiting for a job (`POOLED_SHELL`): the daemon knows such a
 * shell's PID before the job exists, so it records the job as running with its PID first and lets the
 * job go after — no start waits on a fork, and no job runs that queue.json does not know of. The
 * daemon is handed the write end of each shell's standard input and gives it its script itself (no
 * message through this process on the way to a start).
 *
 * Messages from the daemon (IPC):
 * - `{kind: 'spawn', id, file, args, cwd, env, outputFile}`: start a process now. Answers
 *   `{kind: 'started', id, pid, startTime}` or `{kind: 'failed', id, message}`.
 * - `{kind: 'pool', size, env}`: keep `size` shells waiting, with this environment.
 * - `{kind: 'taken', slot}`: the daemon took that shell (another is started soon).
 * Pooled shells are announced as `{kind: 'pooled', slot, pid, startTime}` with the write end of their
 * standard input; one that ends before it was taken as `{kind: 'lost', slot}`. Every process ends with
 * `{kind: 'exit', id, exitCode, signal}` (a spawn's id) or `{kind: 'shell-exit', slot, exitCode,
 * signal}` (a taken shell). When the daemon goes away (IPC disconnect) it exits; the jobs it started
 * lead their own sessions and go on, and waiting shells read end-of-file and exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { POOLED_SHELL } from './pooled-shell.js';

type Request =
  | { kind: 'spawn'; id: number; file: string; args: string[]; cwd: string; env: Record<string, string | undefined>; outputFile: string }
  | { kind: 'pool'; size: number; env: Record<string, string | undefined> }
  | { kind: 'taken'; slot: number };

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
/** Pooled shells, by slot, until they exit: waiting (announced), or taken by the daemon. */
const shells = new Map<number, { taken: boolean }>();
let refilling = false;
/** Pooled shells in a row that died without a job; past `MAX_LOSSES` the pool is given up (jobs spawn the plain way). */
let losses = 0;
const MAX_LOSSES = 5;
/** How long after a take its shell is replaced at the latest (sooner when its job ends first). */
const REFILL_DELAY_MS = 20;

const waitingCount = (): number => [...shells.values()].filter((s) => !s.taken).length;

function refill(): void {
  if (refilling) return;
  refilling = true;
  // After the messages at hand: a refill is the work nobody is waiting for.
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
    child = spawn(POOLED_SHELL[0], POOLED_SHELL.slice(1), { cwd: '/', env: poolEnv, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    return false;
  }
  child.once('error', () => undefined); // reported through 'exit', or by a missing pid
  const pid = child.pid;
  if (pid === undefined) return false;
  const slot = nextSlot++;
  const shell = { taken: false };
  shells.set(slot, shell);
  child.stdin!.on('error', () => undefined); // a shell that died: reported through 'exit'
  child.once('exit', (exitCode, signal) => setImmediate(() => onShellExit(slot, shell, exitCode, signal)));
  // The write end of its standard input goes to the daemon (and is closed here once sent): the
  // daemon writes the job's script to the shell itself.
  // (A pipe's write end is a net.Socket: child_process makes every 'pipe' one.)
  if (process.connected) process.send?.({ kind: 'pooled', slot, pid, startTime: startTime(pid) }, child.stdin as Socket);
  return true;
}

/**
 * A pooled shell ended. Looked at after the messages at hand: the daemon's 'taken' is always sent
 * before the shell is given its script, so it is here by now if the shell was taken.
 */
function onShellExit(slot: number, shell: { taken: boolean }, exitCode: number | null, signal: NodeJS.Signals | null): void {
  shells.delete(slot);
  if (shell.taken) {
    send({ kind: 'shell-exit', slot, exitCode, signal });
    refill();
    return;
  }
  send({ kind: 'lost', slot });
  // A shell that cannot wait (a broken /bin/sh?) would otherwise be started again and again.
  if (++losses >= MAX_LOSSES) poolSize = 0;
  refill();
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
      if (!shell) return; // died meanwhile: its 'lost' is on its way
      shell.taken = true;
      losses = 0;
      // Replaced once its job ends, or in a moment if it runs on: a fork holds this process for a
      // millisecond, and a short job's end should not wait behind it.
      setTimeout(refill, REFILL_DELAY_MS);
      return;
    }
  }
});
process.on('disconnect', () => process.exit(0));
// Node postpones 'disconnect' while a handle sent to the daemon waits for its acknowledgement, and a
// daemon that went away never sends it: `connected` turns false at once, so it is also looked at.
setInterval(() => {
  if (!process.connected) process.exit(0);
}, 250).unref();
send({ kind: 'ready' });
