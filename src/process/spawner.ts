/**
 * Starting jobs from a small helper process (spawner-process.ts) instead of the daemon itself.
 *
 * Starting a process forks the process that starts it, and a fork copies its page tables: measured
 * here, 1.3 ms from a 48 MB Node process, 2.8 ms from 100 MB, 6.6 ms from 200 MB — and a daemon
 * working through a big sweep holds 100–130 MB. The spawner stays near 40 MB and works beside the
 * daemon's own thread. It is started with the first job (that job and any while it starts are
 * spawned directly), and stopped after a minute without jobs. If it dies, jobs are spawned directly
 * again, and the jobs it started are watched through /proc and their exit-status files: they lead
 * their own sessions and never depended on it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../infra/clock.js';
import { readExitFile } from './exit-status.js';
import { waitForExit } from './identity.js';
import { type ChildOutcome, type DetachedProcess, type SpawnOptions, spawnDetached } from './spawn.js';

type Answer =
  | { kind: 'ready' }
  | { kind: 'pooled'; slot: number; pid: number; startTime: string | null }
  | { kind: 'lost'; slot: number }
  | { kind: 'started'; id: number; pid: number; startTime: string | null }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'exit'; id: number; exitCode: number | null; signal: string | null }
  | { kind: 'shell-exit'; slot: number; exitCode: number | null; signal: string | null };

interface Pending {
  resolve: (p: DetachedProcess) => void;
  reject: (err: Error) => void;
  /** Spawns the job directly instead (the message could not be sent: the spawner never had it). */
  direct: () => DetachedProcess;
  /** Where the job's exit status lands, for when the spawner dies before the job. */
  exitFile: string | undefined;
}

interface Running {
  pid: number;
  startTime: string | null;
  exitFile: string | undefined;
  settle: (o: ChildOutcome) => void;
}

/** How long (ms) the spawner stays without a job before it is stopped. */
const IDLE_MS = 60_000;

/** A pooled shell the daemon holds: the job's process once it is given its script. */
export interface PooledProcess extends DetachedProcess {
  /** Gives the shell its job (after the job is recorded as running with this PID); `exitFile` as in the script. */
  start(script: string, exitFile: string): void;
  /** Lets the shell go without a job: it exits, and `exited` settles. */
  discard(): void;
}

interface Pooled {
  slot: number;
  pid: number;
  startTime: string | null;
  /** The write end of the shell's standard input: its script, or end-of-file. */
  stdin: Socket;
}

export class Spawner {
  private child: ChildProcess | undefined;
  private ready = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, Running>();
  private idleTimer: TimerHandle | undefined;
  /** Shells waiting in the spawner (announced, not taken). */
  private pooled: Pooled[] = [];
  /** Taken shells, by slot, until they are given a job or discarded (then tracked in `running`, by -slot). */
  private readonly taken = new Map<number, { pooled: Pooled; settle: (o: ChildOutcome) => void }>();
  private pool: { size: number; env: Record<string, string | undefined> } | undefined;

  constructor(
    /** The compiled spawner-process.js. */
    private readonly script: string,
    private readonly clock: Clock,
  ) {}

  /** Starts `file args` detached (as `spawnDetached`): through the spawner when it is up, else directly. */
  async spawn(file: string, args: readonly string[], options: SpawnOptions & { exitFile?: string }): Promise<DetachedProcess> {
    this.cancelIdle();
    if (!this.ready || !this.child?.connected) {
      this.startChild();
      return spawnDetached(file, args, options);
    }
    const id = this.nextId++;
    const child = this.child;
    const direct = (): DetachedProcess => spawnDetached(file, args, options);
    return new Promise<DetachedProcess>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, direct, exitFile: options.exitFile });
      child.send({ kind: 'spawn', id, file, args, cwd: options.cwd, env: options.env, outputFile: options.outputFile }, (err) => {
        if (!err || !this.pending.delete(id)) return;
        resolve(direct());
      });
    });
  }

  /**
   * Keeps `size` shells waiting for jobs, with environment `env` (see pooled-shell.ts). From the
   * spawner's start on; before, and if it cannot, jobs are spawned the plain way.
   */
  usePool(size: number, env: Record<string, string | undefined>): void {
    this.pool = { size, env };
    if (this.ready && this.child?.connected) this.child.send({ kind: 'pool', ...this.pool });
  }

  /** The environment of the pooled shells, or undefined when there is no pool. */
  get poolEnv(): Record<string, string | undefined> | undefined {
    return this.pool?.env;
  }

  /**
   * A pooled shell, known by PID and start time before its job exists; undefined when none is
   * waiting (the spawner is starting, or the pool is being refilled). Start the spawner as `spawn` does.
   */
  takePooled(): PooledProcess | undefined {
    this.cancelIdle();
    const child = this.child;
    if (!this.ready || !child?.connected) {
      this.startChild();
      return undefined;
    }
    const pooled = this.pooled.shift();
    if (!pooled) return undefined;
    child.send({ kind: 'taken', slot: pooled.slot });
    let settle!: (o: ChildOutcome) => void;
    const exited = new Promise<ChildOutcome>((resolve) => (settle = resolve));
    this.taken.set(pooled.slot, { pooled, settle });
    const handOver = (script: string | undefined, exitFile: string | undefined): void => {
      const held = this.taken.get(pooled.slot);
      if (!held) return; // lost meanwhile (or the spawner went away): `exited` settles without it
      this.taken.delete(pooled.slot);
      this.running.set(-pooled.slot, { pid: pooled.pid, startTime: pooled.startTime, exitFile, settle: held.settle });
      // Straight to the shell (the spawner reports its exit); without a script it reads end-of-file.
      if (script === undefined) pooled.stdin.destroy();
      else pooled.stdin.end(script);
    };
    return {
      pid: pooled.pid,
      pgid: pooled.pid,
      startTime: pooled.startTime,
      exited,
      start: (script, exitFile) => handOver(script, exitFile),
      discard: () => handOver(undefined, undefined),
    };
  }

  /** Stops the spawner (the daemon is stopping); the jobs it started go on. */
  close(): void {
    this.cancelIdle();
    if (this.child?.connected) this.child.disconnect();
  }

  private startChild(): void {
    if (this.child) return;
    let child: ChildProcess;
    try {
      child = fork(this.script, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [], serialization: 'json' });
    } catch {
      return; // jobs are spawned directly
    }
    this.child = child;
    child.on('message', (m: Answer, handle: unknown) => this.onAnswer(m, handle as Socket | undefined));
    child.on('error', () => undefined); // reported through 'exit'
    child.once('exit', () => this.onGone(child));
  }

  private onAnswer(m: Answer, handle: Socket | undefined): void {
    if (m.kind === 'ready') {
      this.ready = true;
      if (this.pool) this.child?.send({ kind: 'pool', ...this.pool });
      this.armIdle();
      return;
    }
    if (m.kind === 'pooled') {
      if (!handle) return; // cannot be given a script: it reads end-of-file and exits ('lost')
      handle.on('error', () => undefined); // a shell that died: reported through 'lost' or 'shell-exit'
      if (this.child?.connected) this.pooled.push({ slot: m.slot, pid: m.pid, startTime: m.startTime, stdin: handle });
      else handle.destroy();
      return;
    }
    if (m.kind === 'lost' || m.kind === 'shell-exit') {
      this.shellEnded(m.slot, m.kind === 'shell-exit' ? { exitCode: m.exitCode, signal: m.signal } : undefined);
      return;
    }
    if (m.kind === 'exit') {
      const run = this.running.get(m.id);
      this.running.delete(m.id);
      run?.settle({ exitCode: m.exitCode, signal: m.signal });
      this.armIdleIfIdle();
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.kind === 'failed') {
      p.reject(new Error(m.message));
      return;
    }
    let settle!: (o: ChildOutcome) => void;
    const exited = new Promise<ChildOutcome>((resolve) => (settle = resolve));
    this.running.set(m.id, { pid: m.pid, startTime: m.startTime, exitFile: p.exitFile, settle });
    p.resolve({ pid: m.pid, pgid: m.pid, startTime: m.startTime, exited });
  }

  /**
   * A pooled shell ended: with the exit status the spawner saw (`shell-exit`, it knew the shell was
   * taken), or without (`lost`: it ended before the spawner heard of the take, so whatever the shell
   * ran left its status in the exit-status file). Waiting, taken or given its job, it is settled.
   */
  private shellEnded(slot: number, reported: ChildOutcome | undefined): void {
    this.pooled = this.pooled.filter((p) => {
      if (p.slot === slot) p.stdin.destroy();
      return p.slot !== slot;
    });
    const held = this.taken.get(slot);
    if (held) {
      this.taken.delete(slot);
      held.pooled.stdin.destroy();
      held.settle(reported ?? { exitCode: null, signal: null });
    }
    const run = this.running.get(-slot);
    if (run) {
      this.running.delete(-slot);
      run.settle(reported ?? (run.exitFile ? readExitFile(run.exitFile) : undefined) ?? { exitCode: null, signal: null });
    }
    this.armIdleIfIdle();
  }

  private armIdleIfIdle(): void {
    if (this.running.size === 0 && this.pending.size === 0 && this.taken.size === 0) this.armIdle();
  }

  /** The spawner is gone: what it was starting fails over; what it started is watched through /proc. */
  private onGone(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.ready = false;
    this.cancelIdle();
    // Not answered: it may or may not have started them, so they are not started again (a run must
    // never run twice); they fail with this reason, and the next jobs are spawned directly.
    for (const p of this.pending.values()) p.reject(new Error('the spawner process ended before it answered'));
    this.pending.clear();
    // Waiting, or taken but not given their job: they read end-of-file and exit without running anything.
    for (const p of this.pooled) p.stdin.destroy();
    this.pooled = [];
    for (const { pooled, settle } of this.taken.values()) {
      pooled.stdin.destroy();
      this.running.set(-pooled.slot, { pid: pooled.pid, startTime: pooled.startTime, exitFile: undefined, settle });
    }
    this.taken.clear();
    for (const run of this.running.values()) {
      void waitForExit(run.pid, run.startTime, this.clock).then(() =>
        run.settle((run.exitFile ? readExitFile(run.exitFile) : undefined) ?? { exitCode: null, signal: null }),
      );
    }
    this.running.clear();
  }

  private armIdle(): void {
    this.cancelIdle();
    this.idleTimer = this.clock.setTimeout(() => {
      if (this.running.size === 0 && this.pending.size === 0 && this.taken.size === 0) this.close();
    }, IDLE_MS);
  }

  private cancelIdle(): void {
    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
