/**
 * The execution daemon, one per workspace: a thin loop over two seams. It takes the lock and keeps a
 * heartbeat (lock.ts), recovers what a crashed daemon left (recovery.ts), runs scheduling passes — the
 * pure scheduler picks, the executor starts, the store records (pass.ts, launch.ts) — and supervises
 * running jobs: timeouts, cancels, ends (supervision.ts). It wakes up when the store says the state
 * changed, and on a safety poll. Shutdown is graceful: start nothing, wait for running jobs up to the
 * grace, then stop them.
 */
import type { Job } from '../contracts/queue.js';
import type { Executor } from '../executor/executor.js';
import type { GpuDevice } from '../gpu/devices.js';
import { type Clock, sleep, type TimerHandle } from '../infra/clock.js';
import { TypedEmitter } from '../infra/events.js';
import type { Logger } from '../infra/logger.js';
import type { Store, StoreWatch } from '../store/store.js';
import { cleanLeftoverTempFiles, releaseDaemonLock } from '../workspace/daemon-files.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { DaemonContext } from './context.js';
import type { DaemonEvents } from './events.js';
import { acquireDaemonLock, holdsDaemonLock, writeHeartbeat } from './lock.js';
import type { DaemonOptions, DaemonState } from './options.js';
import { Passes } from './pass.js';
import { recoverOrphans } from './recovery.js';
import { Supervisor } from './supervision.js';
import { TrainerPythons } from './trainer-pythons.js';

export { AlreadyRunningError } from './lock.js';
export type { DaemonOptions } from './options.js';
export { isDaemonArgv } from '../process/daemon-liveness.js';

export class Daemon extends TypedEmitter<DaemonEvents> implements DaemonContext {
  state: DaemonState = 'starting';
  gpus: GpuDevice[] = [];
  readonly events: TypedEmitter<DaemonEvents> = this;
  private readonly supervisor: Supervisor;
  private readonly passes: Passes;
  private startedAtMs = 0;
  private watcher: StoreWatch | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private pollTimer: TimerHandle | undefined;
  private stopPromise: Promise<void> | undefined;
  private resolveDone!: () => void;
  /** Resolves when the daemon has stopped. */
  readonly done: Promise<void> = new Promise((resolve) => (this.resolveDone = resolve));

  constructor(
    readonly ws: WorkspacePaths,
    readonly store: Store,
    readonly executor: Executor,
    readonly options: DaemonOptions,
    readonly clock: Clock,
    readonly log: Logger,
    pythons: TrainerPythons = new TrainerPythons(ws, options.env, clock),
  ) {
    super();
    this.supervisor = new Supervisor(this);
    this.passes = new Passes(this, this.supervisor, pythons);
  }

  get pid(): number {
    return process.pid;
  }

  /** Asks for a scheduling pass; passes never overlap, requests during one cause one more. */
  requestPass(): void {
    this.passes.request();
  }

  async start(): Promise<void> {
    await acquireDaemonLock(this);
    try {
      await this.prepare();
    } catch (err) {
      // E.g. a corrupt queue.json: say so and leave no lock behind.
      await releaseDaemonLock(this.ws, this.pid).catch(() => undefined);
      this.state = 'stopped';
      this.resolveDone();
      throw err;
    }
  }

  private async prepare(): Promise<void> {
    const removed = await cleanLeftoverTempFiles(this.ws, this.clock.now());
    for (const file of removed) this.log.info({ file }, 'removed a temp file left by an interrupted write');
    this.gpus = (await this.executor.capabilities()).gpus;
    this.log.info({ gpus: this.gpus }, this.gpus.length > 0 ? `detected ${this.gpus.length} GPU(s)` : 'no GPU detected');
    const resolved = await recoverOrphans(this, this.supervisor);
    this.state = 'running';
    this.startedAtMs = this.clock.now();
    await this.heartbeat();
    // Its own writes are no news: only someone else's change is (the store tells them apart).
    this.watcher = this.store.watch(
      () => this.requestPass(),
      (err) => this.log.warn({ err: String(err) }, 'watching the store failed in part; the poll covers it'),
    );
    this.schedulePoll();
    this.log.info({ max_parallel: this.options.maxParallel, gpu_slots: this.options.gpuSlots }, 'daemon started');
    this.emit('daemon:started', { pid: this.pid, maxParallel: this.options.maxParallel, gpuSlots: this.options.gpuSlots, gpus: this.gpus });
    for (const job of resolved) this.emit('job:finished', { job } satisfies { job: Job });
    this.requestPass();
  }

  private schedulePoll(): void {
    this.pollTimer = this.clock.setTimeout(() => {
      this.requestPass();
      if (this.state === 'running') this.schedulePoll();
    }, this.options.pollMs);
  }

  private async heartbeat(): Promise<void> {
    if (this.state === 'running' || this.state === 'stopping') {
      const { holds, holder } = await holdsDaemonLock(this);
      if (!holds) {
        this.log.error({ holder }, 'daemon.lock now belongs to another process; stopping without touching jobs');
        this.emit('daemon:error', { message: `Lost the daemon lock to PID ${holder}` });
        this.abandon();
        return;
      }
    }
    const activeJobs = this.supervisor.active.size;
    const activeGpuJobs = this.supervisor.gpuJobs;
    await writeHeartbeat(this, { startedAtMs: this.startedAtMs, activeJobs, activeGpuJobs });
    this.emit('daemon:heartbeat', { activeJobs, activeGpuJobs });
    if (this.state === 'running' || this.state === 'stopping') {
      this.heartbeatTimer = this.clock.setTimeout(() => void this.heartbeat(), this.options.heartbeatMs);
    }
  }

  /** Graceful shutdown: start nothing, wait for running jobs up to the grace period, stop the rest. */
  stop(reason = 'requested'): Promise<void> {
    if (!this.stopPromise) this.stopPromise = this.shutdown(reason);
    return this.stopPromise;
  }

  private async shutdown(reason: string): Promise<void> {
    if (this.state === 'starting') {
      this.state = 'stopped';
      this.resolveDone();
      return;
    }
    const { active } = this.supervisor;
    this.state = 'stopping';
    this.log.info({ reason, active: active.size }, 'daemon stopping');
    this.emit('daemon:stopping', { reason });
    this.closeWatchers();
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    await this.heartbeat();
    const all = (): Promise<void[]> => Promise.all([...active.values()].map((a) => a.settled));
    let graceOver = false;
    const grace = this.clock.setTimeout(() => (graceOver = true), this.options.shutdownGraceMs);
    while (active.size > 0 && !graceOver) await Promise.race([all(), sleep(this.clock, 100)]);
    this.clock.clearTimeout(grace);
    for (const a of active.values()) void this.supervisor.stop(a, 'shutdown');
    await all();
    await this.passes.idle();
    await this.executor.close();
    this.state = 'stopped';
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    await this.heartbeat();
    await releaseDaemonLock(this.ws, this.pid).catch(() => undefined);
    this.log.info('daemon stopped');
    this.emit('daemon:stopped', { pid: this.pid });
    this.resolveDone();
  }

  /** Stops at once without touching jobs or files (the lock went to another daemon). */
  private abandon(): void {
    this.state = 'stopped';
    this.executor.abandon();
    this.closeWatchers();
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    this.supervisor.abandonAll();
    this.resolveDone();
  }

  private closeWatchers(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
  }
}
