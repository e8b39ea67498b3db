/**
 * Supervising running jobs: each has a timeout, may be stopped (cancel, timeout, shutdown), and when
 * its process ends its run is concluded (the rest of its output, result.json) and the end waits in
 * `ended` for the next pass to record it. A job holds its slot until that pass.
 */
import { existsSync } from 'node:fs';
import type { LaunchRecord } from '../contracts/launch.js';
import type { Job, JobState } from '../contracts/queue.js';
import type { JobHandle } from '../executor/executor.js';
import type { TimerHandle } from '../infra/clock.js';
import { describeError, isDiskUnwritable } from '../infra/errors.js';
import { parseTimestamp } from '../infra/time.js';
import type { DeviceLoad } from '../gpu/devices.js';
import { primaryMetricOf, type PrimaryMetric } from '../queue/primary-metric.js';
import { jobStateOfResult } from '../queue/recovery.js';
import { type StopReason, stopVerdict } from '../queue/transitions.js';
import type { RunningAs } from '../queue/transitions.js';
import type { ChildOutcome } from '../process/spawn.js';
import { concludeRun } from '../run/conclude.js';
import { writeResult } from '../run/files/documents.js';
import type { OutputTail } from '../run/output-tail.js';
import type { RunLog } from '../run/run-log.js';
import { displayPath, runDir } from '../workspace/paths.js';
import type { DaemonContext } from './context.js';
import { settleLegacyResult } from './legacy-runs.js';

export interface ActiveJob {
  jobId: string;
  runId: string;
  handle: JobHandle;
  usesGpu: boolean;
  gpuDevice: number | null;
  adopted: boolean;
  stopReason?: StopReason;
  /** Its time limit, ms: the run's own (`timeout_s`) or the daemon's `--job-timeout`. */
  timeoutMs: number;
  timeout?: TimerHandle;
  /**
   * The run this daemon concludes when the process ends. Absent for a job that a RunForge before
   * 0.6 started through a `runforge run` process, which writes result.json itself.
   */
  run?: { record: LaunchRecord; log: RunLog; tail: OutputTail } | undefined;
  /** What launching the job set in its queue entry (set again if that update was not written). */
  runningAs?: RunningAs;
  /** Settles when the job's outcome is recorded in the queue. */
  settled: Promise<void>;
  resolveSettled: () => void;
}

/** A job that ended, waiting for the next pass to record it. */
export interface EndedJob {
  a: ActiveJob;
  state: JobState;
  error: string | null;
  exitCode: number | null;
  metric: PrimaryMetric | null;
  /** result.json on its way: the update recording the end is made durable after it (`StateTx.waitFor`). */
  written?: Promise<void> | undefined;
  /** Why `written` failed, once it has. */
  writeError?: Error | undefined;
  /** Writes result.json again (and clears the recovery records), after a write the disk refused. */
  rewrite?: () => Promise<void>;
}

/** How the daemon waits before writing again what a full or read-only disk refused, ms. */
export const DISK_RETRY_MS = 500;

export class Supervisor {
  readonly active = new Map<string, ActiveJob>();
  /** Jobs that ended, recorded by the next pass (with the starts it makes). */
  readonly ended: EndedJob[] = [];
  /** Conclusions under way of jobs that ended (each settles once the job is in `ended`). */
  readonly concluding = new Set<Promise<void>>();

  constructor(private readonly ctx: DaemonContext) {}

  /** Supervises a running job: its timeout, and concluding it when it ends. */
  track(job: Job, how: { adopted: boolean; usesGpu: boolean; exited?: Promise<ChildOutcome>; run?: ActiveJob['run'] }): ActiveJob {
    const { clock, options, executor, store } = this.ctx;
    let resolveSettled!: () => void;
    const handle: JobHandle = { pid: job.pid!, pgid: job.pgid ?? job.pid!, startTime: job.process_start_time ?? null };
    const a: ActiveJob = {
      jobId: job.job_id,
      runId: job.run_id,
      handle,
      usesGpu: how.usesGpu,
      gpuDevice: job.gpu_device ?? null,
      adopted: how.adopted,
      timeoutMs: how.run?.record.timeout_ms ?? options.jobTimeoutMs,
      run: how.run,
      settled: new Promise<void>((resolve) => (resolveSettled = resolve)),
      resolveSettled: () => resolveSettled(),
    };
    const startedMs = (job.started_at ? parseTimestamp(job.started_at) : undefined) ?? clock.now();
    const remaining = Math.max(0, startedMs + a.timeoutMs - clock.now());
    a.timeout = clock.setTimeout(() => void this.stop(a, 'timeout'), remaining);
    // A job this daemon did not start is not its child: it learns of the end from the end record.
    const exited =
      how.exited ??
      executor.waitForEnd(handle).then(async (): Promise<ChildOutcome> => {
        const end = await store.readEnd(job.run_id);
        return end ? { exitCode: end.exitCode, signal: end.signal } : { exitCode: null, signal: null };
      });
    void exited.then((e) => this.onExit(a, e));
    this.active.set(a.jobId, a);
    return a;
  }

  async stop(a: ActiveJob, reason: StopReason): Promise<void> {
    if (a.stopReason || !this.active.has(a.jobId)) return;
    a.stopReason = reason;
    this.ctx.log.info({ job_id: a.jobId, reason }, 'stopping job');
    const { forced } = await this.ctx.executor.stop(a.handle, this.ctx.options.killGraceMs);
    if (forced) this.ctx.log.warn({ job_id: a.jobId }, 'job ignored SIGTERM; killed');
  }

  /** The GPUs the running jobs hold (but not those of the jobs in `ending`, about to be recorded as ended). */
  deviceLoad(ending: ReadonlySet<string> = new Set()): DeviceLoad {
    const reservations = new Map<number, number>();
    for (const a of this.active.values()) {
      if (a.gpuDevice !== null && !ending.has(a.jobId)) reservations.set(a.gpuDevice, (reservations.get(a.gpuDevice) ?? 0) + 1);
    }
    return { reservations, jobsPerGpu: this.ctx.options.jobsPerGpu };
  }

  get gpuJobs(): number {
    return [...this.active.values()].filter((a) => a.usesGpu).length;
  }

  /** Forgets every job at once (another daemon took over): timers cleared, output tails let go. */
  abandonAll(): void {
    for (const a of this.active.values()) {
      if (a.timeout) this.ctx.clock.clearTimeout(a.timeout);
      a.run?.tail.detach();
    }
    this.active.clear();
  }

  private onExit(a: ActiveJob, exit: ChildOutcome): void {
    const concluding = this.concludeEnded(a, exit).catch((err: unknown) => this.ctx.log.error({ job_id: a.jobId, err: String(err) }, 'could not record the end of a job'));
    this.concluding.add(concluding);
    void concluding.finally(() => this.concluding.delete(concluding));
  }

  private async concludeEnded(a: ActiveJob, exit: ChildOutcome): Promise<void> {
    const { ctx } = this;
    if (a.timeout) ctx.clock.clearTimeout(a.timeout);
    if (ctx.state === 'stopped') return; // abandoned: the job belongs to another daemon now
    // Whatever the job left behind in its process group goes with it.
    await ctx.executor.reap(a.handle, ctx.options.killGraceMs);
    let ended: EndedJob;
    try {
      ended = a.run
        ? await this.conclude(a, a.run, exit)
        : { a, exitCode: exit.exitCode, ...(await settleLegacyResult(ctx, a.jobId, a.runId, a.stopReason, exit.exitCode)) };
    } catch (err) {
      const dir = runDir(ctx.ws, a.runId);
      if (isDiskUnwritable(err) && ctx.state === 'running' && existsSync(dir)) {
        // The disk is full or read-only: the job holds its slot and is concluded once the disk takes writes.
        ctx.log.error({ job_id: a.jobId, err: describeError(err) }, `could not conclude the run, trying again: ${describeError(err)}`);
        ctx.clock.setTimeout(() => this.onExit(a, exit), DISK_RETRY_MS);
        return;
      }
      const error = existsSync(dir) ? `Could not conclude the run: ${(err as Error).message}` : `Run directory not found: ${displayPath(ctx.ws, dir)}`;
      ctx.log.error({ job_id: a.jobId, err: (err as Error).message }, 'could not conclude the run');
      ended = { a, state: 'failed', error, exitCode: exit.exitCode, metric: null };
    }
    this.ended.push(ended);
    ctx.requestPass();
  }

  /** Concludes a run this daemon prepared (or took over): the rest of its output, result.json. */
  private async conclude(a: ActiveJob, run: NonNullable<ActiveJob['run']>, exit: ChildOutcome): Promise<EndedJob> {
    const { ctx } = this;
    run.tail.close();
    const dir = runDir(ctx.ws, a.runId);
    if (!existsSync(dir)) throw new Error(`Run directory not found: ${displayPath(ctx.ws, dir)}`);
    // The end is recorded as soon as it is known — the slot is free for the next job while result.json
    // is written and fsynced — and the store says so only once result.json is in place.
    const outcome = await concludeRun({
      runDir: dir,
      clock: ctx.clock,
      log: run.log,
      record: run.record,
      exit: { ...exit, cancelled: false },
      stop: a.stopReason ? stopVerdict(a.stopReason, a.timeoutMs) : undefined,
      deferWrite: true,
    });
    // A run interrupted by the shutdown failed (and is queued again by policy); its result says cancelled.
    const state: JobState = a.stopReason === 'shutdown' ? 'failed' : jobStateOfResult(outcome.status);
    const metric = state === 'succeeded' ? primaryMetricOf(outcome.result) : null;
    const ended: EndedJob = { a, state, error: outcome.result.error?.message ?? null, exitCode: exit.exitCode, metric };
    // The recovery records go once the result is there (a daemon taking over concludes from them until then).
    ended.written = (outcome.written ?? Promise.resolve()).then(() => ctx.store.clearRecords(a.runId));
    ended.written.catch((err: unknown) => (ended.writeError = err instanceof Error ? err : new Error(String(err))));
    ended.rewrite = async () => {
      await writeResult(dir, outcome.result);
      await ctx.store.clearRecords(a.runId);
    };
    return ended;
  }
}
