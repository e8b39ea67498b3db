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
import type { Clock, TimerHandle } from '../infra/clock.js';
import { type ChildOutcome, type DetachedProcess, readExitFile, type SpawnOptions, spawnDetached, waitForExit } from './process.js';

type Answer =
  | { kind: 'ready' }
  | { kind: 'started'; id: number; pid: number; startTime: string | null }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'exit'; id: number; exitCode: number | null; signal: string | null };

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

export class Spawner {
  private child: ChildProcess | undefined;
  private ready = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, Running>();
  private idleTimer: TimerHandle | undefined;

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
      child.send({ id, file, args, cwd: options.cwd, env: options.env, outputFile: options.outputFile }, (err) => {
        if (!err || !this.pending.delete(id)) return;
        resolve(direct());
      });
    });
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
    child.on('message', (m: Answer) => this.onAnswer(m));
    child.on('error', () => undefined); // reported through 'exit'
    child.once('exit', () => this.onGone(child));
  }

  private onAnswer(m: Answer): void {
    if (m.kind === 'ready') {
      this.ready = true;
      this.armIdle();
      return;
    }
    if (m.kind === 'exit') {
      const run = this.running.get(m.id);
      this.running.delete(m.id);
      run?.settle({ exitCode: m.exitCode, signal: m.signal });
      if (this.running.size === 0 && this.pending.size === 0) this.armIdle();
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
      if (this.running.size === 0 && this.pending.size === 0) this.close();
    }, IDLE_MS);
  }

  private cancelIdle(): void {
    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
