/**
 * The execution daemon: one per workspace. It turns the queue into running jobs under `maxParallel`
 * and `gpuSlots`, supervises them (timeouts, cancellation), records their outcomes, keeps a heartbeat,
 * recovers what a crashed daemon left behind, and shuts down gracefully.
 *
 * Every state change goes through `updateState` (one locked read-modify-write); the choice of what to
 * start is the pure `schedule`; every signal goes through `terminateProcessGroup`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Job } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import type { Clock, TimerHandle } from '../infra/clock.js';
import { OperationFailedError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { formatTimestamp, formatUtcSeconds } from '../infra/time.js';
import { type DeviceLoad, deviceCapacity, type GpuDevice, pickDevice } from '../gpu/devices.js';
import { makeJob } from '../queue/jobs.js';
import { primaryMetricOf, type PrimaryMetric } from '../queue/primary-metric.js';
import { jobStateOfResult, type OrphanPolicy, resolveOrphan } from '../queue/recovery.js';
import { schedule, usesGpuSlot } from '../queue/scheduler.js';
import { ENV_GPU_ID, ENV_GPU_PRESENT, ENV_GPU_REASON } from '../run/device.js';
import {
  cleanLeftoverTempFiles,
  readDaemonLockPid,
  readTail,
  releaseDaemonLock,
  writeDaemonLock,
  writeDaemonStatus,
} from '../workspace/daemon-files.js';
import { writeJsonAtomic } from '../workspace/json-file.js';
import { withStateLock } from '../workspace/lock.js';
import { type StateWatcher, watchState } from '../workspace/watch.js';
import { displayPath, requestFile, resultFile, runDir, type WorkspacePaths } from '../workspace/paths.js';
import { readDaemonStatus, readResult, type StateTx, updateState } from '../workspace/store.js';
import { TypedEmitter, type DaemonEvents } from './events.js';
import { isAlive, isGroupAlive, isSameProcess, processArgv, spawnDetached, terminateProcessGroup, waitForExit } from './process.js';
import { parseTimestamp } from '../infra/time.js';

export interface DaemonOptions {
  maxParallel: number;
  gpuSlots: number;
  /** Jobs per GPU device at most. Default 1. */
  jobsPerGpu: number;
  /** Heartbeat interval in ms. Default 5000. */
  heartbeatMs: number;
  /** A daemon whose heartbeat is older than this (ms) is dead; its lock is taken over. Default 30000. */
  staleMs: number;
  /** Safety-net poll of the queue in ms, besides file watching. Default 10000. */
  pollMs: number;
  /** A job running longer than this (ms) is killed and fails. Default 3600000. */
  jobTimeoutMs: number;
  /** Between SIGTERM and SIGKILL of a job's process group, ms. Default 10000. */
  killGraceMs: number;
  /** How long a shutdown waits for running jobs before stopping them, ms. Default 60000. */
  shutdownGraceMs: number;
  orphanPolicy: OrphanPolicy;
  /** Attempts of a run at most, when jobs are re-queued after a crash or shutdown. Default 3. */
  maxAttempts: number;
  /** The `runforge` binary (dist/cli/bin.cjs), for `runforge run …`. */
  cliPath: string;
  /** Node executable for the runs. */
  nodePath: string;
  /** Environment for job processes. */
  env: NodeJS.ProcessEnv;
  /** GPU detection; called once at start. */
  detectGpus: () => Promise<GpuDevice[]>;
}

type StopReason = 'cancel' | 'timeout' | 'shutdown';

interface ActiveJob {
  jobId: string;
  runId: string;
  pid: number;
  pgid: number;
  startTime: string | null;
  usesGpu: boolean;
  gpuDevice: number | null;
  adopted: boolean;
  stopReason?: StopReason;
  timeout?: TimerHandle;
  /** Settles when the job's outcome is recorded. */
  settled: Promise<void>;
}

export class AlreadyRunningError extends OperationFailedError {
  constructor(pid: number) {
    super(`Another daemon is already running (PID: ${pid})`);
  }
}

/** True when `argv` is a `runforge … daemon` process. */
export function isDaemonArgv(argv: readonly string[] | null): boolean {
  if (!argv) return false;
  const cli = argv.findIndex((a) => /(^|[\\/])runforge$|[\\/]cli[\\/](main\.(js|ts)|bin\.c?[jt]s)$/.test(a));
  return cli !== -1 && argv[cli + 1] === 'daemon';
}

const sleep = (clock: Clock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));

export class Daemon extends TypedEmitter<DaemonEvents> {
  private state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  private readonly active = new Map<string, ActiveJob>();
  private gpus: GpuDevice[] = [];
  private startedAtMs = 0;
  private passRunning = false;
  private passAgain = false;
  private lastPassError: string | undefined;
  private watcher: StateWatcher | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private pollTimer: TimerHandle | undefined;
  private stopPromise: Promise<void> | undefined;
  private resolveDone!: () => void;
  /** Resolves when the daemon has stopped. */
  readonly done: Promise<void> = new Promise((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly ws: WorkspacePaths,
    private readonly options: DaemonOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    super();
  }

  get pid(): number {
    return process.pid;
  }

  // ---------------------------------------------------------------- start

  async start(): Promise<void> {
    await this.acquireLock();
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
    this.gpus = await this.options.detectGpus();
    this.log.info({ gpus: this.gpus }, this.gpus.length > 0 ? `detected ${this.gpus.length} GPU(s)` : 'no GPU detected');
    const resolved = await this.recoverOrphans();
    this.state = 'running';
    this.startedAtMs = this.clock.now();
    await this.heartbeat();
    this.watchQueue();
    this.schedulePoll();
    this.log.info({ max_parallel: this.options.maxParallel, gpu_slots: this.options.gpuSlots }, 'daemon started');
    this.emit('daemon:started', { pid: this.pid, maxParallel: this.options.maxParallel, gpuSlots: this.options.gpuSlots, gpus: this.gpus });
    for (const job of resolved) this.emit('job:finished', { job });
    this.requestPass();
  }

  /** Takes daemon.lock, or throws `AlreadyRunningError`. A stale lock is taken over. */
  private async acquireLock(): Promise<void> {
    await withStateLock(this.ws, async () => {
      const holder = await readDaemonLockPid(this.ws);
      if (holder !== undefined && holder !== this.pid) {
        const reason = await this.staleReason(holder);
        if (reason === undefined) throw new AlreadyRunningError(holder);
        this.log.warn({ previous_pid: holder, reason }, `took over a stale daemon lock (PID ${holder}: ${reason})`);
        this.emit('lock:takeover', { previousPid: holder, reason });
      }
      await writeDaemonLock(this.ws, this.pid);
    });
  }

  /** Why the daemon lock of `pid` is stale, or undefined when that daemon is alive. */
  private async staleReason(pid: number): Promise<string | undefined> {
    if (!isAlive(pid)) return 'process is not running';
    if (!isDaemonArgv(processArgv(pid))) return 'process is not a RunForge daemon';
    const status = await readDaemonStatus(this.ws).catch(() => undefined);
    const beat = status?.pid === pid ? parseTimestamp(status.last_heartbeat) : undefined;
    if (beat !== undefined && this.clock.now() - beat > this.options.staleMs) return 'heartbeat is stale';
    return undefined;
  }

  /** Resolves every job a previous daemon left `running` (G4); returns the jobs it ended. */
  private async recoverOrphans(): Promise<Job[]> {
    const adopted: Job[] = [];
    const resolved: Job[] = [];
    await updateState(this.ws, this.clock, async (tx) => {
      tx.queue.max_parallel = this.options.maxParallel;
      tx.queue.gpu_slots = this.options.gpuSlots;
      for (const job of tx.queue.jobs.filter((j) => j.state === 'running')) {
        const alive = !!job.pid && isSameProcess(job.pid, job.process_start_time) && this.isOurJob(job);
        const result = alive ? undefined : await readResult(this.ws, job.run_id).catch(() => undefined);
        const verdict = resolveOrphan(job, { alive, result }, this.options);
        if (verdict.action === 'adopt') {
          adopted.push(job);
          continue;
        }
        if (verdict.action === 'finish') {
          this.finishJob(tx, job, verdict.state, verdict.error, null, result && verdict.state === 'succeeded' ? primaryMetricOf(result) : null);
          this.log.info({ job_id: job.job_id, state: verdict.state }, 'orphaned job resolved from its result.json');
        } else {
          this.finishJob(tx, job, 'failed', verdict.error, null, null);
          this.log.warn({ job_id: job.job_id, requeue: verdict.requeue }, verdict.error);
          if (verdict.requeue) this.requeue(tx, job);
        }
        resolved.push(job);
      }
    });
    for (const job of adopted) {
      this.track(job, { adopted: true });
      this.log.info({ job_id: job.job_id, pid: job.pid }, 're-adopted a job that survived the previous daemon');
      this.emit('job:adopted', { job });
    }
    return resolved;
  }

  /** A live process with the job's PID is the job only if it still is a `runforge run` of that run. */
  private isOurJob(job: Job): boolean {
    const argv = processArgv(job.pid!);
    return argv === null || argv.some((a) => a.includes(job.run_id));
  }

  // ---------------------------------------------------------------- waking up

  private watchQueue(): void {
    this.watcher = watchState(
      this.ws,
      () => this.requestPass(),
      (err) => this.log.warn({ err: String(err) }, 'file watching failed for a folder; the poll covers it'),
    );
  }

  private schedulePoll(): void {
    this.pollTimer = this.clock.setTimeout(() => {
      this.requestPass();
      if (this.state === 'running') this.schedulePoll();
    }, this.options.pollMs);
  }

  /** Asks for a scheduling pass; passes never overlap, requests during one cause one more. */
  requestPass(): void {
    if (this.state !== 'running' && this.state !== 'stopping') return;
    if (this.passRunning) {
      this.passAgain = true;
      return;
    }
    this.passRunning = true;
    void (async () => {
      try {
        do {
          this.passAgain = false;
          await this.pass().then(
            () => (this.lastPassError = undefined),
            (err: unknown) => {
              const message = err instanceof Error ? err.message : String(err);
              this.log.error({ err: message }, 'scheduling pass failed');
              // Said once, not on every poll, until it changes or clears.
              if (message !== this.lastPassError) this.emit('daemon:error', { message });
              this.lastPassError = message;
            },
          );
        } while (this.passAgain && (this.state === 'running' || this.state === 'stopping'));
      } finally {
        this.passRunning = false;
      }
    })();
  }

  // ---------------------------------------------------------------- one pass

  private async pass(): Promise<void> {
    const started: { job: Job; active: ActiveJob }[] = [];
    const toCancel: ActiveJob[] = [];
    const failedAtStart: Job[] = [];
    await updateState(this.ws, this.clock, async (tx) => {
      for (const job of tx.queue.jobs) {
        if (job.state !== 'running' || !job.cancel_requested) continue;
        const a = this.active.get(job.job_id);
        if (a && !a.stopReason) toCancel.push(a);
      }
      if (this.state !== 'running') return;
      const paused = await this.pausedGroups(tx);
      const load = this.deviceLoad();
      const decision = schedule(tx.queue.jobs, {
        maxParallel: this.options.maxParallel,
        gpuSlots: this.options.gpuSlots,
        pausedGroups: paused,
        lastServedGroup: tx.queue.last_served_group ?? null,
        gpuJobsNeedSlot: this.gpus.length > 0,
        gpuCapacity: deviceCapacity(this.gpus, load),
      });
      for (const { job, usesGpu } of decision.starts) {
        const dir = runDir(this.ws, job.run_id);
        if (!existsSync(dir) || !existsSync(requestFile(this.ws, job.run_id))) {
          const missing = existsSync(dir) ? requestFile(this.ws, job.run_id) : dir;
          const what = existsSync(dir) ? 'Request not found' : 'Run directory not found';
          this.finishJob(tx, job, 'failed', `${what}: ${displayPath(this.ws, missing)}`, null, null);
          this.log.warn({ job_id: job.job_id, run_id: job.run_id }, job.error ?? 'run folder missing');
          failedAtStart.push(job);
          continue;
        }
        const device = usesGpu ? pickDevice(this.gpus, load) : undefined;
        if (device) (load.reservations as Map<number, number>).set(device.index, (load.reservations.get(device.index) ?? 0) + 1);
        const a = this.launch(tx, job, usesGpu, device?.index ?? null);
        if (a) started.push({ job, active: a });
        else failedAtStart.push(job);
      }
      if (decision.starts.length > 0) tx.queue.last_served_group = decision.lastServedGroup;
    });
    for (const { job, active } of started) {
      this.log.info({ job_id: job.job_id, run_id: job.run_id, pid: active.pid, gpu: active.gpuDevice }, 'job started');
      this.emit('job:started', { job, gpuDevice: active.gpuDevice });
    }
    for (const job of failedAtStart) this.emit('job:finished', { job });
    for (const a of toCancel) void this.stopJob(a, 'cancel');
    if (failedAtStart.length > 0) this.passAgain = true;
  }

  private async pausedGroups(tx: StateTx): Promise<Set<string>> {
    const paused = new Set<string>();
    const groupIds = new Set(tx.queue.jobs.filter((j) => j.state === 'queued' && j.group_id).map((j) => j.group_id!));
    for (const gid of groupIds) {
      try {
        if ((await tx.getGroup(gid))?.paused) paused.add(gid);
      } catch (err) {
        // A corrupt group record: start nothing of that group until it is repaired.
        paused.add(gid);
        this.log.error({ group_id: gid, err: (err as Error).message }, 'group record unreadable; its jobs wait');
      }
    }
    return paused;
  }

  private deviceLoad(): DeviceLoad {
    const reservations = new Map<number, number>();
    for (const a of this.active.values()) {
      if (a.gpuDevice !== null) reservations.set(a.gpuDevice, (reservations.get(a.gpuDevice) ?? 0) + 1);
    }
    return { reservations, jobsPerGpu: this.options.jobsPerGpu };
  }

  /** Starts the job's `runforge run` detached, records it as running. Undefined if it could not start. */
  private launch(tx: StateTx, job: Job, usesGpu: boolean, gpuDevice: number | null): ActiveJob | undefined {
    const env: NodeJS.ProcessEnv = { ...this.options.env };
    delete env[ENV_GPU_ID];
    delete env[ENV_GPU_REASON];
    env[ENV_GPU_PRESENT] = this.gpus.length > 0 ? '1' : '0';
    if (gpuDevice !== null) env[ENV_GPU_ID] = String(gpuDevice);
    else if (job.requires_gpu) env[ENV_GPU_REASON] = this.gpus.length === 0 ? 'no_gpu_detected' : 'gpu_slot_unavailable';
    const dir = runDir(this.ws, job.run_id);
    let proc;
    try {
      proc = spawnDetached(
        this.options.nodePath,
        [this.options.cliPath, 'run', '--run-dir', dir, '--workspace', this.ws.root, '--job-id', job.job_id, '--quiet'],
        { cwd: this.ws.root, env, outputFile: path.join(dir, 'runner.log') },
      );
    } catch (err) {
      this.finishJob(tx, job, 'failed', `Could not start the run: ${(err as Error).message}`, null, null);
      return undefined;
    }
    if (proc.pid === 0) {
      this.finishJob(tx, job, 'failed', 'Could not start the run process', null, null);
      return undefined;
    }
    Object.assign(job, {
      state: 'running',
      started_at: tx.now,
      finished_at: null,
      error: null,
      exit_code: null,
      pid: proc.pid,
      pgid: proc.pgid,
      process_start_time: proc.startTime,
      gpu_device: gpuDevice,
    });
    return this.track(job, { adopted: false, usesGpu, exited: proc.exited });
  }

  /** Supervises a running job: timeout, and recording its outcome when it ends. */
  private track(job: Job, how: { adopted: boolean; usesGpu?: boolean; exited?: Promise<{ exitCode: number | null }> }): ActiveJob {
    const a: ActiveJob = {
      jobId: job.job_id,
      runId: job.run_id,
      pid: job.pid!,
      pgid: job.pgid ?? job.pid!,
      startTime: job.process_start_time ?? null,
      usesGpu: how.usesGpu ?? usesGpuSlot(job, { gpuSlots: this.options.gpuSlots, gpuJobsNeedSlot: this.gpus.length > 0 }),
      gpuDevice: job.gpu_device ?? null,
      adopted: how.adopted,
      settled: Promise.resolve(),
    };
    const startedMs = (job.started_at ? parseTimestamp(job.started_at) : undefined) ?? this.clock.now();
    const remaining = Math.max(0, startedMs + this.options.jobTimeoutMs - this.clock.now());
    a.timeout = this.clock.setTimeout(() => void this.stopJob(a, 'timeout'), remaining);
    const exited = how.exited ?? waitForExit(a.pid, a.startTime, this.clock).then(() => ({ exitCode: null }));
    a.settled = exited.then((o) => this.onJobExit(a, o.exitCode));
    this.active.set(a.jobId, a);
    return a;
  }

  // ---------------------------------------------------------------- ending jobs

  private async stopJob(a: ActiveJob, reason: StopReason): Promise<void> {
    if (a.stopReason || !this.active.has(a.jobId)) return;
    a.stopReason = reason;
    this.log.info({ job_id: a.jobId, reason }, 'stopping job');
    const { forced } = await terminateProcessGroup(a.pgid, this.options.killGraceMs, this.clock);
    if (forced) this.log.warn({ job_id: a.jobId }, 'job ignored SIGTERM; killed');
  }

  private async onJobExit(a: ActiveJob, exitCode: number | null): Promise<void> {
    if (a.timeout) this.clock.clearTimeout(a.timeout);
    // Whatever the job left behind in its process group goes with it.
    if (isGroupAlive(a.pgid)) await terminateProcessGroup(a.pgid, this.options.killGraceMs, this.clock);
    const { state, error, metric } = await this.settleResult(a, exitCode);
    let finished: Job | undefined;
    let retry: Job | undefined;
    try {
      await updateState(this.ws, this.clock, (tx) => {
        const job = tx.queue.jobs.find((j) => j.job_id === a.jobId);
        if (!job || job.state !== 'running') return;
        this.finishJob(tx, job, state, error, exitCode, metric);
        if (a.stopReason === 'shutdown' && this.options.orphanPolicy === 'requeue' && job.attempt < this.options.maxAttempts) {
          retry = this.requeue(tx, job);
        }
        finished = job;
      });
    } catch (err) {
      this.log.error({ job_id: a.jobId, err: (err as Error).message }, 'could not record the job outcome; the next daemon start will');
    }
    this.active.delete(a.jobId);
    if (finished) {
      this.log.info({ job_id: a.jobId, state: finished.state, error: finished.error }, 'job finished');
      this.emit('job:finished', { job: finished });
      if (retry) this.emit('job:requeued', { failed: finished, retry });
    }
    this.requestPass();
  }

  /** The job's outcome, and result.json brought in line with it (a run never ends without one). */
  private async settleResult(a: ActiveJob, exitCode: number | null): Promise<{ state: Job['state']; error: string | null; metric: PrimaryMetric | null }> {
    const file = resultFile(this.ws, a.runId);
    let result: RunResult | undefined;
    try {
      result = await readResult(this.ws, a.runId);
    } catch {
      result = undefined; // a corrupt result.json is replaced by the daemon's own account below
    }
    if (result && typeof result.job_id === 'string' && result.job_id !== a.jobId) result = undefined;
    const write = async (status: RunResult['status'], message: string, type: string): Promise<void> => {
      const now = this.clock.now();
      await writeJsonAtomic(file, {
        ...(result ?? { version: 1, duration_ms: 0 }),
        version: 1,
        status,
        job_id: a.jobId,
        finished_at: formatUtcSeconds(now),
        error: { message, type },
      }).catch((err: unknown) => this.log.error({ err: String(err) }, 'could not write result.json'));
    };
    if (a.stopReason === 'timeout') {
      const message = `Timed out after ${Math.round(this.options.jobTimeoutMs / 1000)} s`;
      await write('failed', message, 'Timeout');
      return { state: 'failed', error: message, metric: null };
    }
    if (a.stopReason === 'cancel') {
      if (result?.status !== 'cancelled') await write('cancelled', 'Canceled by user', 'Cancelled');
      return { state: 'canceled', error: 'Canceled by user', metric: null };
    }
    if (a.stopReason === 'shutdown') {
      const message = 'Interrupted by daemon shutdown';
      if (result?.status !== 'cancelled') await write('cancelled', message, 'Interrupted');
      return { state: 'failed', error: message, metric: null };
    }
    if (result) {
      const state = jobStateOfResult(result.status);
      return { state, error: result.error?.message ?? null, metric: state === 'succeeded' ? primaryMetricOf(result) : null };
    }
    const tail = (await readTail(path.join(runDir(this.ws, a.runId), 'runner.log'), 300)).trim().split('\n').pop() ?? '';
    const message = `The run process ${exitCode === null ? 'ended' : `exited with code ${exitCode}`} without writing result.json${tail ? `: ${tail}` : ''}`;
    if (existsSync(runDir(this.ws, a.runId))) await write('failed', message, 'RunnerCrashed');
    return { state: 'failed', error: message, metric: null };
  }

  private finishJob(tx: StateTx, job: Job, state: Job['state'], error: string | null, exitCode: number | null, metric: PrimaryMetric | null): void {
    job.state = state;
    job.finished_at = tx.now;
    job.error = error;
    if (exitCode !== null) job.exit_code = exitCode;
    tx.recordMetric(job.run_id, metric);
  }

  private requeue(tx: StateTx, job: Job): Job {
    const retry = makeJob({
      jobId: tx.newJobId(),
      runId: job.run_id,
      groupId: job.group_id,
      priority: job.priority,
      requiresGpu: job.requires_gpu,
      attempt: job.attempt + 1,
      createdAt: tx.now,
    });
    tx.queue.jobs.push(retry);
    return retry;
  }

  // ---------------------------------------------------------------- heartbeat

  private async heartbeat(): Promise<void> {
    if (this.state === 'running' || this.state === 'stopping') {
      const holder = await readDaemonLockPid(this.ws).catch(() => this.pid);
      if (holder !== this.pid) {
        this.log.error({ holder }, 'daemon.lock now belongs to another process; stopping without touching jobs');
        this.emit('daemon:error', { message: `Lost the daemon lock to PID ${holder}` });
        this.abandon();
        return;
      }
    }
    const gpuJobs = [...this.active.values()].filter((a) => a.usesGpu).length;
    await writeDaemonStatus(this.ws, {
      version: 1,
      pid: this.pid,
      started_at: formatTimestamp(this.startedAtMs || this.clock.now()),
      last_heartbeat: formatTimestamp(this.clock.now()),
      max_parallel: this.options.maxParallel,
      gpu_slots: this.options.gpuSlots,
      active_jobs: this.active.size,
      active_gpu_jobs: gpuJobs,
      state: this.state === 'starting' ? 'running' : this.state,
      jobs_per_gpu: this.options.jobsPerGpu,
      gpus: this.gpus.map((g) => ({ index: g.index, name: g.name, uuid: g.uuid, memory_total_mb: g.memory_total_mb })),
    }).catch((err: unknown) => this.log.error({ err: String(err) }, 'could not write daemon.json'));
    this.emit('daemon:heartbeat', { activeJobs: this.active.size, activeGpuJobs: gpuJobs });
    if (this.state === 'running' || this.state === 'stopping') {
      this.heartbeatTimer = this.clock.setTimeout(() => void this.heartbeat(), this.options.heartbeatMs);
    }
  }

  // ---------------------------------------------------------------- stopping

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
    this.state = 'stopping';
    this.log.info({ reason, active: this.active.size }, 'daemon stopping');
    this.emit('daemon:stopping', { reason });
    this.closeWatchers();
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    await this.heartbeat();
    const all = (): Promise<void[]> => Promise.all([...this.active.values()].map((a) => a.settled));
    let graceOver = false;
    const grace = this.clock.setTimeout(() => (graceOver = true), this.options.shutdownGraceMs);
    while (this.active.size > 0 && !graceOver) await Promise.race([all(), sleep(this.clock, 100)]);
    this.clock.clearTimeout(grace);
    for (const a of this.active.values()) void this.stopJob(a, 'shutdown');
    await all();
    while (this.passRunning) await sleep(this.clock, 10);
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
    this.closeWatchers();
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    for (const a of this.active.values()) if (a.timeout) this.clock.clearTimeout(a.timeout);
    this.active.clear();
    this.resolveDone();
  }

  private closeWatchers(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
  }
}
