/**
 * The execution daemon: one per workspace. It turns the queue into running jobs under `maxParallel`
 * and `gpuSlots`, supervises them (timeouts, cancellation), records their outcomes, keeps a heartbeat,
 * recovers what a crashed daemon left behind, and shuts down gracefully.
 *
 * Every state change goes through `updateState` (one locked read-modify-write), and one scheduling
 * pass both records the jobs that ended and starts the next ones; the choice of what to start is the
 * pure `schedule`; every signal goes through `terminateProcessGroup`. A job's run is prepared and
 * concluded here (run/execute.ts) and only its training process is started, detached, its output
 * going to a file and its exit status to another, so it survives the daemon.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LaunchRecord } from '../contracts/launch.js';
import type { Job, JobState } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import type { Clock, TimerHandle } from '../infra/clock.js';
import { describeError, isDiskUnwritable, OperationFailedError } from '../infra/errors.js';
import { installRoot } from '../infra/install.js';
import type { Logger } from '../infra/logger.js';
import { formatTimestamp, formatUtcSeconds } from '../infra/time.js';
import { type DeviceLoad, deviceCapacity, type GpuDevice, pickDevice } from '../gpu/devices.js';
import { makeJob } from '../queue/jobs.js';
import { primaryMetricOf, type PrimaryMetric } from '../queue/primary-metric.js';
import { jobStateOfResult, type OrphanPolicy, resolveOrphan, resultBelongsTo } from '../queue/recovery.js';
import { schedule, usesGpuSlot } from '../queue/scheduler.js';
import { ENV_GPU_ID, ENV_GPU_PRESENT, ENV_GPU_REASON } from '../run/device.js';
import { concludeRun, launchRecordFile, type LaunchSpec, prepareRun, type PreparedRun, readLaunchRecord, type StopVerdict, writeLaunchRecord } from '../run/execute.js';
import { OutputTail, outputFile } from '../run/output-tail.js';
import { findTrainerPython } from '../run/python.js';
import { RunLog } from '../run/run-log.js';
import { WarmWorker } from '../executor/local/warm-worker.js';
import {
  cleanLeftoverTempFiles,
  readDaemonLockPid,
  readTail,
  releaseDaemonLock,
  writeDaemonLock,
  writeDaemonStatus,
} from '../workspace/daemon-files.js';
import { removeFileSync, writeJsonAtomic } from '../workspace/json-file.js';
import { withStateLock } from '../workspace/lock.js';
import { type StateWatcher, watchState } from '../workspace/watch.js';
import { displayPath, requestFile, resultFile, runDir, type WorkspacePaths } from '../workspace/paths.js';
import type { StateTx } from '../store/store.js';
import { isOwnWrite } from '../store/file/own-writes.js';
import { stageUpdate, updateState } from '../store/file/update.js';
import { readDaemonStatus } from '../workspace/daemon-files.js';
import { readResult } from '../workspace/run-documents.js';
import { TypedEmitter } from '../infra/events.js';
import type { DaemonEvents } from './events.js';
import { readExitFile, shellExit } from '../process/exit-status.js';
import { findProcessByArgv, isAlive, isGroupAlive, isSameProcess, processArgv, waitForExit } from '../process/identity.js';
import { terminateProcessGroup } from '../process/signal.js';
import { type ChildOutcome, type DetachedProcess, findProgram, withExitFile } from '../process/spawn.js';
import { exitTimeOf } from './exit-status.js';
import { daemonIdentity, isDaemonArgv } from '../process/daemon-liveness.js';
import { pooledJobScript } from '../process/pooled-shell.js';
import { Spawner } from '../process/spawner.js';
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
  /**
   * Start built-in trainer runs through a warm Python worker that forks one child per run (no
   * interpreter start and imports per run); runs start cold while it warms up or when it cannot
   * start. Default true.
   */
  warmTrainer: boolean;
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
  /**
   * The run this daemon concludes when the process ends. Absent for a job that a RunForge before
   * 0.6 started through a `runforge run` process, which writes result.json itself.
   */
  run?: { record: LaunchRecord; log: RunLog; tail: OutputTail };
  /** What launching the job set in its queue entry (set again if that update was not written). */
  runningAs?: Partial<Job>;
  /** Settles when the job's outcome is recorded in the queue. */
  settled: Promise<void>;
  resolveSettled: () => void;
}

/** A job that ended, waiting for the next pass to record it. */
interface EndedJob {
  a: ActiveJob;
  state: JobState;
  error: string | null;
  exitCode: number | null;
  metric: PrimaryMetric | null;
  /** result.json on its way: the update recording the end is written after it (`StateTx.waitFor`). */
  written?: Promise<void>;
  /** Why `written` failed, once it has. */
  writeError?: Error;
  /** Writes result.json again (and clears the helper files), after a write the disk refused. */
  rewrite?: () => Promise<void>;
}


/** The exit status file a job's process leaves in its run folder. */
const exitFileOf = (dir: string): string => path.join(dir, '.exit_status');
/** How long a pass waits at most for conclusions under way, so as to record them together, ms. */
const CONCLUDING_WAIT_MS = 50;
/** How long the daemon waits before writing again what a full or read-only disk refused, ms. */
const DISK_RETRY_MS = 500;
/** Shells kept waiting for jobs at most (pooled-shell.ts), whatever `--max-parallel` is. */
const MAX_POOLED_SHELLS = 8;
/** How long the daemon trusts that a job's program exists, ms. */
const PROGRAM_CACHE_MS = 5_000;
/** How long the daemon trusts its answer to "which Python can train", ms. */
const PYTHON_CACHE_MS = 60_000;

export class AlreadyRunningError extends OperationFailedError {
  constructor(pid: number) {
    super(`Another daemon is already running (PID: ${pid})`);
  }
}

export { isDaemonArgv } from '../process/daemon-liveness.js';

const sleep = (clock: Clock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));

export class Daemon extends TypedEmitter<DaemonEvents> {
  private state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  private readonly active = new Map<string, ActiveJob>();
  /** Jobs that ended, recorded by the next pass (with the starts it makes). */
  private readonly ended: EndedJob[] = [];
  /** Conclusions under way of jobs that ended (each settles once the job is in `ended`). */
  private readonly concluding = new Set<Promise<void>>();
  private readonly pythons = new Map<boolean, { at: number; python: Promise<string> }>();
  /** Programs of jobs found lately (`programExists`), by program, folder and PATH: when, ms. */
  private readonly programsFound = new Map<string, number>();
  private worker: WarmWorker | undefined;
  private readonly spawner: Spawner;
  private lastWorkerError: string | undefined;
  private gpus: GpuDevice[] = [];
  private startedAtMs = 0;
  /** Where and as which process this daemon runs, for daemon.json (liveness.ts). */
  private identity: ReturnType<typeof daemonIdentity> | undefined;
  private passRunning = false;
  /** Settles when every pass so far is written and told (passes are written in the background). */
  private writing: Promise<void> = Promise.resolve();
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
    this.spawner = new Spawner(path.join(installRoot(), 'dist', 'process', 'spawner-process.js'), clock);
    // A start takes a waiting shell: as many wait as can start at once (a pass starts that many at most).
    this.spawner.usePool(Math.min(options.maxParallel, MAX_POOLED_SHELLS), options.env);
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
    const adopted: { job: Job; record: LaunchRecord | undefined }[] = [];
    const resolved: Job[] = [];
    await updateState(this.ws, this.clock, async (tx) => {
      tx.queue.max_parallel = this.options.maxParallel;
      tx.queue.gpu_slots = this.options.gpuSlots;
      for (const job of tx.queue.jobs.filter((j) => j.state === 'queued')) {
        // Started by a daemon that died before queue.json recorded it: the launch record names the process.
        const record = readLaunchRecord(runDir(this.ws, job.run_id));
        if (record?.job_id !== job.job_id) continue;
        const exitFile = exitFileOf(runDir(this.ws, job.run_id));
        // A record without a PID: the job was spawned the plain way and its daemon died before naming
        // it; its shell's command line holds its exit file (the chaos suite's kill storm found such
        // jobs started a second time).
        const proc = record.pid ? { pid: record.pid, startTime: record.process_start_time ?? null } : findProcessByArgv(exitFile);
        const alive = !!proc && isSameProcess(proc.pid, proc.startTime);
        const exit = alive ? undefined : readExitFile(exitFile);
        // Neither running nor ended with a status: it never ran (its shell got no script), or left no
        // trace of it; it stays queued.
        if (!alive && !exit) continue;
        Object.assign(job, {
          state: 'running',
          started_at: formatTimestamp(record.started_ms),
          ...(proc ? { pid: proc.pid, pgid: proc.pid, process_start_time: proc.startTime } : {}), // every job leads its own process group
        });
        this.log.info({ job_id: job.job_id, pid: proc?.pid ?? null }, 'found a job started just before the previous daemon died');
      }
      for (const job of tx.queue.jobs.filter((j) => j.state === 'running')) {
        const dir = runDir(this.ws, job.run_id);
        const launched = readLaunchRecord(dir);
        const record = launched?.job_id === job.job_id ? launched : undefined;
        // A recorded start time identifies the process; without one, its command line must name the run.
        const alive = !!job.pid && isSameProcess(job.pid, job.process_start_time) && (!!job.process_start_time || this.isOurJob(job));
        if (alive) {
          adopted.push({ job, record });
          continue;
        }
        let result = await readResult(this.ws, job.run_id).catch(() => undefined);
        const exit = record && !(result && resultBelongsTo(result, job)) ? readExitFile(exitFileOf(dir)) : undefined;
        let endedMs: number | undefined;
        if (record && exit) {
          // Its process ended after the previous daemon died: conclude the run from what it left.
          const log = new RunLog(path.join(dir, 'logs.txt'), this.clock);
          OutputTail.resume(dir, log, this.clock).close();
          // Concluded as of when the process ended, not now: its duration is the run's own.
          endedMs = exitTimeOf(exitFileOf(dir), record.started_ms, this.clock.now());
          result = (await concludeRun({ runDir: dir, clock: this.clock, log, record, exit: { ...exit, cancelled: false }, endedMs })).result;
          removeFileSync(exitFileOf(dir));
        }
        const verdict = resolveOrphan(job, { alive: false, result }, this.options);
        if (verdict.action === 'finish') {
          this.finishJob(tx, job, verdict.state, verdict.error, exit?.exitCode ?? null, result && verdict.state === 'succeeded' ? primaryMetricOf(result) : null);
          if (endedMs !== undefined) job.finished_at = formatTimestamp(endedMs);
          this.log.info({ job_id: job.job_id, state: verdict.state }, 'orphaned job resolved from its result.json');
        } else if (verdict.action === 'fail') {
          this.finishJob(tx, job, 'failed', verdict.error, null, null);
          this.log.warn({ job_id: job.job_id, requeue: verdict.requeue }, verdict.error);
          if (verdict.requeue) this.requeue(tx, job);
        }
        resolved.push(job);
      }
    });
    for (const { job, record } of adopted) {
      const dir = runDir(this.ws, job.run_id);
      const log = new RunLog(path.join(dir, 'logs.txt'), this.clock);
      this.track(job, { adopted: true, run: record ? { record, log, tail: OutputTail.resume(dir, log, this.clock) } : undefined });
      this.log.info({ job_id: job.job_id, pid: job.pid }, 're-adopted a job that survived the previous daemon');
      this.emit('job:adopted', { job });
    }
    return resolved;
  }

  /** A live process with the job's PID is the job only if its command line still names the run. */
  private isOurJob(job: Job): boolean {
    const argv = processArgv(job.pid!);
    return argv === null || argv.some((a) => a.includes(job.run_id));
  }

  // ---------------------------------------------------------------- waking up

  private watchQueue(): void {
    this.watcher = watchState(
      this.ws,
      // Its own writes (every flush of a pass's changes) are no news: only another process's change is.
      (file) => {
        if (file === undefined || !isOwnWrite(file)) this.requestPass();
      },
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
          // Jobs that have ended and are being concluded are recorded by this pass rather than the next.
          if (this.concluding.size > 0) await Promise.race([Promise.all(this.concluding), sleep(this.clock, CONCLUDING_WAIT_MS)]);
          await this.pass().then(
            () => (this.lastPassError = undefined),
            (err: unknown) => this.reportPassError(err),
          );
        } while (this.passAgain && (this.state === 'running' || this.state === 'stopping'));
      } finally {
        this.passRunning = false;
      }
    })();
  }

  private reportPassError(err: unknown): void {
    const message = describeError(err);
    this.log.error({ err: message, code: (err as NodeJS.ErrnoException).code }, `scheduling pass failed: ${message}`);
    // Said once, not on every poll, until it changes or clears.
    if (message !== this.lastPassError) this.emit('daemon:error', { message });
    this.lastPassError = message;
  }

  // ---------------------------------------------------------------- one pass

  private async pass(): Promise<void> {
    const started: { job: Job; active: ActiveJob }[] = [];
    const toCancel: ActiveJob[] = [];
    const finished: Job[] = [];
    const requeued: { failed: Job; retry: Job }[] = [];
    const recording = this.ended.splice(0);
    let failedAtStart = 0;
    let written: Promise<void>;
    try {
      ({ written } = await stageUpdate(this.ws, this.clock, async (tx) => {
        // Jobs this daemon started whose start an earlier update failed to write: running all the same.
        let changed = recording.length > 0;
        if (this.active.size > 0) {
          for (const job of tx.queue.jobs) {
            const a = job.state === 'queued' ? this.active.get(job.job_id) : undefined;
            if (a?.runningAs) {
              Object.assign(job, a.runningAs);
              changed = true;
            }
          }
        }
        for (const e of recording) {
          const job = tx.queue.jobs.find((j) => j.job_id === e.a.jobId);
          if (!job || job.state !== 'running') {
            // Only this daemon ends a running job: the queue was changed behind its back.
            this.log.warn({ job_id: e.a.jobId, state: job?.state ?? null }, 'a job that ended is no longer running in queue.json; its end is not recorded');
            continue;
          }
          this.finishJob(tx, job, e.state, e.error, e.exitCode, e.metric);
          if (e.written) tx.waitFor(e.written);
          if (e.a.stopReason === 'shutdown' && this.options.orphanPolicy === 'requeue' && job.attempt < this.options.maxAttempts) {
            requeued.push({ failed: job, retry: this.requeue(tx, job) });
          }
          finished.push(job);
        }
        for (const job of tx.queue.jobs) {
          if (job.state !== 'running' || !job.cancel_requested) continue;
          const a = this.active.get(job.job_id);
          if (a && !a.stopReason) toCancel.push(a);
        }
        if (this.state !== 'running') return;
        const paused = await this.pausedGroups(tx);
        // The jobs recorded as ended above no longer hold their device.
        const load = this.deviceLoad(new Set(recording.map((e) => e.a.jobId)));
        const decision = schedule(tx.queue.jobs, {
          maxParallel: this.options.maxParallel,
          gpuSlots: this.options.gpuSlots,
          pausedGroups: paused,
          lastServedGroup: tx.queue.last_served_group ?? null,
          gpuJobsNeedSlot: this.gpus.length > 0,
          gpuCapacity: deviceCapacity(this.gpus, load),
        });
        const launches: Promise<void>[] = [];
        for (const { job, usesGpu } of decision.starts) {
          const dir = runDir(this.ws, job.run_id);
          if (!existsSync(dir) || !existsSync(requestFile(this.ws, job.run_id))) {
            const missing = existsSync(dir) ? requestFile(this.ws, job.run_id) : dir;
            const what = existsSync(dir) ? 'Request not found' : 'Run directory not found';
            this.finishJob(tx, job, 'failed', `${what}: ${displayPath(this.ws, missing)}`, null, null);
            this.log.warn({ job_id: job.job_id, run_id: job.run_id }, job.error ?? 'run folder missing');
            finished.push(job);
            failedAtStart++;
            continue;
          }
          const device = usesGpu ? pickDevice(this.gpus, load) : undefined;
          if (device) (load.reservations as Map<number, number>).set(device.index, (load.reservations.get(device.index) ?? 0) + 1);
          // Started side by side: a start waits on its helper's answer, not on the other starts.
          launches.push(
            this.launch(tx, job, usesGpu, device?.index ?? null).then((a) => {
              if (a) started.push({ job, active: a });
              else {
                finished.push(job);
                failedAtStart++;
              }
            }),
          );
        }
        await Promise.all(launches);
        if (decision.starts.length > 0) tx.queue.last_served_group = decision.lastServedGroup;
        // Nothing ended, nothing started (a look after a change of the files, most often its own): the
        // files stay as they are, without serialising them to find out.
        else if (!changed) tx.leaveUnchanged();
      }));
    } catch (err) {
      // Not recorded: the next pass (at the latest the safety poll) tries again.
      this.ended.unshift(...recording);
      throw err;
    }
    // Jobs that ended as they were started freed their slots again: look again (while this pass's files
    // are being written). Jobs recorded as ended freed theirs before this pass scheduled.
    if (failedAtStart > 0) this.passAgain = true;
    // What is said of the jobs is said once it is on disk; later passes may change them meanwhile.
    const said = { finished: finished.map((j) => ({ ...j })), started: started.map(({ job, active }) => ({ job: { ...job }, active })), requeued: requeued.map((r) => ({ failed: { ...r.failed }, retry: { ...r.retry } })) };
    const done = written.then(
      () => {
        for (const e of recording) {
          this.active.delete(e.a.jobId);
          e.a.resolveSettled();
        }
        for (const job of said.finished) {
          this.log.info({ job_id: job.job_id, state: job.state, error: job.error }, 'job finished');
          this.emit('job:finished', { job });
        }
        for (const r of said.requeued) this.emit('job:requeued', r);
        for (const { job, active } of said.started) {
          this.log.info({ job_id: job.job_id, run_id: job.run_id, pid: active.pid, gpu: active.gpuDevice }, 'job started');
          this.emit('job:started', { job, gpuDevice: active.gpuDevice });
        }
        for (const a of toCancel) void this.stopJob(a, 'cancel');
      },
      (err: unknown) => {
        // Not written (nor any later pass of the chain): recorded again by the next pass; the jobs
        // started are running all the same (see `runningAs`). A job whose result.json could not be
        // written is recorded as failed, as when its run cannot be concluded.
        // A full or read-only disk refused it: result.json is written again a little later, and the job
        // recorded then, as it ended (not failed: the job did its work; the disk was not there for it).
        const diskError = isDiskUnwritable(err);
        for (const e of recording) {
          if (!e.writeError) continue;
          if (isDiskUnwritable(e.writeError) && e.rewrite && this.state === 'running') {
            this.log.error({ job_id: e.a.jobId, err: describeError(e.writeError) }, `could not write result.json, trying again: ${describeError(e.writeError)}`);
            const rewrite = e.rewrite;
            const again = sleep(this.clock, DISK_RETRY_MS).then(rewrite);
            Object.assign(e, { written: again, writeError: undefined });
            again.catch((error: unknown) => (e.writeError = error instanceof Error ? error : new Error(String(error))));
            continue;
          }
          this.log.error({ job_id: e.a.jobId, err: e.writeError.message }, 'could not conclude the run');
          Object.assign(e, { state: 'failed', error: `Could not conclude the run: ${e.writeError.message}`, metric: null, written: undefined, writeError: undefined });
        }
        this.ended.unshift(...recording);
        this.reportPassError(err);
        // At once, unless the disk refuses writes: then after a pause, not in a loop as fast as it fails.
        if (diskError) this.clock.setTimeout(() => this.requestPass(), DISK_RETRY_MS);
        else this.requestPass();
      },
    ).catch((err: unknown) => this.reportPassError(err));
    this.writing = this.writing.then(() => done);
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

  private deviceLoad(ended: ReadonlySet<string> = new Set()): DeviceLoad {
    const reservations = new Map<number, number>();
    for (const a of this.active.values()) {
      if (a.gpuDevice !== null && !ended.has(a.jobId)) reservations.set(a.gpuDevice, (reservations.get(a.gpuDevice) ?? 0) + 1);
    }
    return { reservations, jobsPerGpu: this.options.jobsPerGpu };
  }

  /** The trainer's interpreter, found once a minute at most (finding it starts Pythons). */
  private trainerPython(needTorch: boolean): Promise<string> {
    const known = this.pythons.get(needTorch);
    if (known && this.clock.now() - known.at < PYTHON_CACHE_MS) return known.python;
    const python = findTrainerPython(this.ws, this.options.env, needTorch);
    this.pythons.set(needTorch, { at: this.clock.now(), python });
    python.catch(() => this.pythons.delete(needTorch));
    return python;
  }

  /**
   * Starts a job: prepares its run (request, device, first log lines), starts the training process
   * detached, records the job as running. Undefined when the job ended at once (a bad request, a
   * program that does not exist…): it is then finished in `tx`, with its result.json written.
   */
  private async launch(tx: StateTx, job: Job, usesGpu: boolean, gpuDevice: number | null): Promise<ActiveJob | undefined> {
    const env: NodeJS.ProcessEnv = { ...this.options.env };
    delete env[ENV_GPU_ID];
    delete env[ENV_GPU_REASON];
    env[ENV_GPU_PRESENT] = this.gpus.length > 0 ? '1' : '0';
    if (gpuDevice !== null) env[ENV_GPU_ID] = String(gpuDevice);
    else if (job.requires_gpu) env[ENV_GPU_REASON] = this.gpus.length === 0 ? 'no_gpu_detected' : 'gpu_slot_unavailable';
    const dir = runDir(this.ws, job.run_id);
    const endAt = (outcome: { status: RunResult['status']; result: RunResult }): undefined => {
      const state = jobStateOfResult(outcome.status);
      this.finishJob(tx, job, state, outcome.result.error?.message ?? null, null, state === 'succeeded' ? primaryMetricOf(outcome.result) : null);
      return undefined;
    };
    let prepared: PreparedRun;
    try {
      prepared = await prepareRun({ ws: this.ws, runDir: dir, dryRun: false, jobId: job.job_id, clock: this.clock, env, findPython: (t) => this.trainerPython(t) });
    } catch (err) {
      this.finishJob(tx, job, 'failed', `Could not start the run: ${(err as Error).message}`, null, null);
      return undefined;
    }
    if ('outcome' in prepared) return endAt(prepared.outcome);
    const { record, spec, log } = prepared;
    const cannotStart = async (why: string): Promise<undefined> =>
      endAt(await concludeRun({ runDir: dir, clock: this.clock, log, record, exit: { exitCode: null, signal: null, cancelled: false, spawnError: why } }));
    if (!this.programExists(spec.program, spec.cwd, spec.env.PATH)) return cannotStart('not found, or not executable (searched PATH)');
    removeFileSync(exitFileOf(dir));
    const tail = OutputTail.start(dir, log, this.clock);
    // A pooled shell is known by PID before it runs anything: the launch record names it at once.
    // Otherwise a crash while the process starts finds at least the record; it names the process below.
    let pooled = record.mode === 'trainer' ? undefined : this.fromPool(spec, dir);
    if (!pooled) writeLaunchRecord(dir, record);
    let proc = pooled?.proc;
    if (record.mode === 'trainer') {
      proc = await this.forkWarm(job, spec, dir);
      pooled = proc ? undefined : this.fromPool(spec, dir);
      proc ??= pooled?.proc;
    }
    try {
      if (!proc) {
        const [file, args] = withExitFile(spec.program, spec.args, exitFileOf(dir));
        const spawned = await this.spawner.spawn(file, args, { cwd: spec.cwd, env: spec.env, outputFile: outputFile(dir), exitFile: exitFileOf(dir) });
        proc = { ...spawned, exited: spawned.exited.then(shellExit) };
      }
    } catch (err) {
      tail.close();
      return cannotStart((err as Error).message);
    }
    if (proc.pid === 0) {
      tail.close();
      return cannotStart('the process could not be created');
    }
    // Named in the launch record before queue.json records it: a daemon taking over after a crash in
    // between finds the process instead of starting the run again (recoverOrphans).
    const launched: LaunchRecord = { ...record, pid: proc.pid, process_start_time: proc.startTime };
    writeLaunchRecord(dir, launched);
    pooled?.go();
    const runningAs: Partial<Job> = {
      state: 'running',
      started_at: tx.now,
      finished_at: null,
      error: null,
      exit_code: null,
      pid: proc.pid,
      pgid: proc.pgid,
      process_start_time: proc.startTime,
      gpu_device: gpuDevice,
    };
    Object.assign(job, runningAs);
    const a = this.track(job, { adopted: false, usesGpu, exited: proc.exited, run: { record: launched, log, tail } });
    a.runningAs = runningAs;
    return a;
  }

  /**
   * Whether a job's program can be started (`findProgram`), a found program remembered for a few
   * seconds: a sweep starts the same program for every run, and looking costs a look in each PATH
   * folder. (One removed meanwhile fails as the shell reports it: exit code 127.)
   */
  private programExists(program: string, cwd: string, pathVar: string | undefined): boolean {
    const key = `${program}\0${cwd}\0${pathVar ?? ''}`;
    const seen = this.programsFound.get(key);
    if (seen !== undefined && this.clock.now() - seen < PROGRAM_CACHE_MS) return true;
    if (!findProgram(program, cwd, pathVar)) return false;
    if (this.programsFound.size > 100) this.programsFound.clear();
    this.programsFound.set(key, this.clock.now());
    return true;
  }

  /**
   * A pooled shell for the job (pooled-shell.ts), known by PID before the job runs, and how to let it
   * go; undefined when no shell is waiting (the job is spawned the plain way).
   */
  private fromPool(spec: LaunchSpec, dir: string): { proc: DetachedProcess; go: () => void } | undefined {
    const pooled = this.spawner.takePooled();
    if (!pooled) return undefined;
    const exitFile = exitFileOf(dir);
    const script = pooledJobScript({ ...spec, baseEnv: this.spawner.poolEnv ?? {}, outputFile: outputFile(dir), exitFile });
    if (script === undefined) {
      pooled.discard();
      return undefined;
    }
    return { proc: { ...pooled, exited: pooled.exited.then(shellExit) }, go: () => pooled.start(script, exitFile) };
  }

  /**
   * Starts a trainer run as a fork of the warm worker, when the worker runs this Python and is ready;
   * otherwise undefined (the run starts cold) and the worker is warmed up for the next runs.
   */
  private async forkWarm(job: Job, spec: LaunchSpec, dir: string): Promise<DetachedProcess | undefined> {
    if (!this.options.warmTrainer || !spec.trainerArgs) return undefined;
    const base = await this.trainerPython(false).catch(() => undefined);
    if (spec.program !== base) return undefined; // an mlp run needing another Python (with torch) than the worker's
    this.worker ??= new WarmWorker({ python: base, logFile: path.join(this.ws.queueDir, 'worker.log'), env: this.options.env, clock: this.clock });
    // Waiting for the worker's first start would hold the state lock for a second: start it, run cold now.
    if (!this.worker.isReady) {
      this.worker.warmUp();
      return undefined;
    }
    try {
      return await this.worker.fork({ id: job.job_id, argv: spec.trainerArgs, env: spec.env, cwd: spec.cwd, outputFile: outputFile(dir), exitStatusFile: exitFileOf(dir) });
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastWorkerError) this.log.warn({ err: message }, 'warm worker unavailable; starting runs cold');
      this.lastWorkerError = message;
      return undefined;
    }
  }

  /** Supervises a running job: timeout, and concluding it when it ends. */
  private track(
    job: Job,
    how: { adopted: boolean; usesGpu?: boolean; exited?: Promise<ChildOutcome>; run?: ActiveJob['run'] | undefined },
  ): ActiveJob {
    let resolveSettled!: () => void;
    const a: ActiveJob = {
      jobId: job.job_id,
      runId: job.run_id,
      pid: job.pid!,
      pgid: job.pgid ?? job.pid!,
      startTime: job.process_start_time ?? null,
      usesGpu: how.usesGpu ?? usesGpuSlot(job, { gpuSlots: this.options.gpuSlots, gpuJobsNeedSlot: this.gpus.length > 0 }),
      gpuDevice: job.gpu_device ?? null,
      adopted: how.adopted,
      run: how.run,
      settled: new Promise<void>((resolve) => (resolveSettled = resolve)),
      resolveSettled: () => resolveSettled(),
    };
    const startedMs = (job.started_at ? parseTimestamp(job.started_at) : undefined) ?? this.clock.now();
    const remaining = Math.max(0, startedMs + this.options.jobTimeoutMs - this.clock.now());
    a.timeout = this.clock.setTimeout(() => void this.stopJob(a, 'timeout'), remaining);
    const dir = runDir(this.ws, job.run_id);
    // A job this daemon did not start is not its child: it learns of the exit by looking.
    const exited =
      how.exited ??
      waitForExit(a.pid, a.startTime, this.clock).then((): ChildOutcome => readExitFile(exitFileOf(dir)) ?? { exitCode: null, signal: null });
    void exited.then((e) => this.onJobExit(a, e));
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

  private onJobExit(a: ActiveJob, exit: ChildOutcome): void {
    const concluding = this.concludeEnded(a, exit).catch((err: unknown) => this.log.error({ job_id: a.jobId, err: String(err) }, 'could not record the end of a job'));
    this.concluding.add(concluding);
    void concluding.finally(() => this.concluding.delete(concluding));
  }

  private async concludeEnded(a: ActiveJob, exit: ChildOutcome): Promise<void> {
    if (a.timeout) this.clock.clearTimeout(a.timeout);
    if (this.state === 'stopped') return; // abandoned: the job belongs to another daemon now
    // Whatever the job left behind in its process group goes with it.
    if (isGroupAlive(a.pgid)) await terminateProcessGroup(a.pgid, this.options.killGraceMs, this.clock);
    let ended: EndedJob;
    try {
      ended = a.run ? await this.conclude(a, a.run, exit) : { a, exitCode: exit.exitCode, ...(await this.settleResult(a, exit.exitCode)) };
    } catch (err) {
      const dir = runDir(this.ws, a.runId);
      if (isDiskUnwritable(err) && this.state === 'running' && existsSync(dir)) {
        // The disk is full or read-only: the job holds its slot and is concluded once the disk takes writes.
        this.log.error({ job_id: a.jobId, err: describeError(err) }, `could not conclude the run, trying again: ${describeError(err)}`);
        this.clock.setTimeout(() => this.onJobExit(a, exit), DISK_RETRY_MS);
        return;
      }
      const error = existsSync(dir) ? `Could not conclude the run: ${(err as Error).message}` : `Run directory not found: ${displayPath(this.ws, dir)}`;
      this.log.error({ job_id: a.jobId, err: (err as Error).message }, 'could not conclude the run');
      ended = { a, state: 'failed', error, exitCode: exit.exitCode, metric: null };
    }
    this.ended.push(ended);
    this.requestPass();
  }

  /** What a stop from outside makes of a run. */
  private stopVerdict(reason: StopReason | undefined): StopVerdict | undefined {
    if (reason === 'timeout') return { status: 'failed', message: `Timed out after ${Math.round(this.options.jobTimeoutMs / 1000)} s`, type: 'Timeout' };
    if (reason === 'cancel') return { status: 'cancelled', message: 'Canceled by user', type: 'Cancelled' };
    if (reason === 'shutdown') return { status: 'cancelled', message: 'Interrupted by daemon shutdown', type: 'Interrupted' };
    return undefined;
  }

  /** Concludes a run this daemon prepared (or took over): the rest of its output, result.json. */
  private async conclude(a: ActiveJob, run: NonNullable<ActiveJob['run']>, exit: ChildOutcome): Promise<EndedJob> {
    run.tail.close();
    const dir = runDir(this.ws, a.runId);
    if (!existsSync(dir)) throw new Error(`Run directory not found: ${displayPath(this.ws, dir)}`);
    // The end is recorded as soon as it is known — the slot is free for the next job while result.json
    // is written and fsynced — and queue.json says so only once result.json is in place.
    const outcome = await concludeRun({
      runDir: dir,
      clock: this.clock,
      log: run.log,
      record: run.record,
      exit: { ...exit, cancelled: false },
      stop: this.stopVerdict(a.stopReason),
      deferWrite: true,
    });
    // A run interrupted by the shutdown failed (and is queued again by policy); its result says cancelled.
    const state: JobState = a.stopReason === 'shutdown' ? 'failed' : jobStateOfResult(outcome.status);
    const metric = state === 'succeeded' ? primaryMetricOf(outcome.result) : null;
    const ended: EndedJob = { a, state, error: outcome.result.error?.message ?? null, exitCode: exit.exitCode, metric };
    // The exit status goes once the result is there (a daemon taking over concludes from it until then).
    ended.written = (outcome.written ?? Promise.resolve()).then(() => removeFileSync(exitFileOf(dir)));
    ended.written.catch((err: unknown) => (ended.writeError = err instanceof Error ? err : new Error(String(err))));
    ended.rewrite = async () => {
      await writeJsonAtomic(resultFile(this.ws, a.runId), outcome.result);
      removeFileSync(launchRecordFile(dir));
      removeFileSync(exitFileOf(dir));
    };
    return ended;
  }

  /**
   * The outcome of a job started by a RunForge before 0.6 (a `runforge run` process that writes
   * result.json itself), and result.json brought in line with it (a run never ends without one).
   */
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
      ...(this.identity ??= daemonIdentity(this.pid)),
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
    await this.writing;
    await this.worker?.close().catch(() => undefined);
    this.spawner.close();
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
    this.spawner.close();
    this.closeWatchers();
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    for (const a of this.active.values()) {
      if (a.timeout) this.clock.clearTimeout(a.timeout);
      a.run?.tail.detach();
    }
    this.active.clear();
    this.resolveDone();
  }

  private closeWatchers(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
  }
}
