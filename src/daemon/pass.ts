/**
 * The scheduling pass: one store update records the jobs that ended, flags the running jobs a user
 * canceled, and starts what the pure scheduler picks. Passes never overlap; a request during one makes
 * one more. A pass's update is made durable in the background while the next pass computes
 * (`Store.stage`); what the pass did is told (events, log, stops) only once it is durable.
 */
import { existsSync } from 'node:fs';
import type { Job } from '../contracts/queue.js';
import { sleep } from '../infra/clock.js';
import { describeError, isDiskUnwritable } from '../infra/errors.js';
import { deviceCapacity, pickDevice } from '../gpu/devices.js';
import { schedule, type ScheduleDecision } from '../queue/scheduler.js';
import { finishJob, requeueJob } from '../queue/transitions.js';
import type { StateTx } from '../store/store.js';
import { requestFileOf } from '../run/files/names.js';
import { displayPath, runDir } from '../workspace/paths.js';
import type { DaemonContext } from './context.js';
import { launchJob } from './launch.js';
import { type ActiveJob, DISK_RETRY_MS, type EndedJob, type Supervisor } from './supervision.js';
import type { TrainerPythons } from './trainer-pythons.js';

/** How long a pass waits at most for conclusions under way, so as to record them together, ms. */
const CONCLUDING_WAIT_MS = 50;

/** What one pass did, told once its update is durable. */
interface PassRecord {
  /** Ended jobs this pass records. */
  recording: EndedJob[];
  started: { job: Job; active: ActiveJob }[];
  toCancel: ActiveJob[];
  finished: Job[];
  requeued: { failed: Job; retry: Job }[];
  /** Jobs that ended as they were started (their slots are free again: one more pass). */
  failedAtStart: number;
}

export class Passes {
  private running = false;
  private again = false;
  private lastError: string | undefined;
  /** Settles when every pass so far is durable and told. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: DaemonContext,
    private readonly supervisor: Supervisor,
    private readonly pythons: TrainerPythons,
  ) {}

  /** Asks for a pass; passes never overlap, requests during one cause one more. */
  request(): void {
    const { ctx } = this;
    if (ctx.state !== 'running' && ctx.state !== 'stopping') return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          // Jobs that have ended and are being concluded are recorded by this pass rather than the next.
          const { concluding } = this.supervisor;
          if (concluding.size > 0) await Promise.race([Promise.all(concluding), sleep(ctx.clock, CONCLUDING_WAIT_MS)]);
          await this.pass().then(
            () => (this.lastError = undefined),
            (err: unknown) => this.reportError(err),
          );
        } while (this.again && (ctx.state === 'running' || ctx.state === 'stopping'));
      } finally {
        this.running = false;
      }
    })();
  }

  /** Settles once no pass runs and every pass so far is durable and told. */
  async idle(): Promise<void> {
    while (this.running) await sleep(this.ctx.clock, 10);
    await this.writing;
  }

  private reportError(err: unknown): void {
    const message = describeError(err);
    this.ctx.log.error({ err: message, code: (err as NodeJS.ErrnoException).code }, `scheduling pass failed: ${message}`);
    // Said once, not on every poll, until it changes or clears.
    if (message !== this.lastError) this.ctx.events.emit('daemon:error', { message });
    this.lastError = message;
  }

  private async pass(): Promise<void> {
    const record: PassRecord = { recording: this.supervisor.ended.splice(0), started: [], toCancel: [], finished: [], requeued: [], failedAtStart: 0 };
    let written: Promise<void>;
    try {
      ({ written } = await this.ctx.store.stage((tx) => this.compute(tx, record)));
    } catch (err) {
      // Not recorded: the next pass (at the latest the safety poll) tries again.
      this.supervisor.ended.unshift(...record.recording);
      throw err;
    }
    // Jobs that ended as they were started freed their slots again: look again (while this pass's
    // update is made durable). Jobs recorded as ended freed theirs before this pass scheduled.
    if (record.failedAtStart > 0) this.again = true;
    // What is said of the jobs is said once it is durable; later passes may change them meanwhile.
    const said = {
      finished: record.finished.map((j) => ({ ...j })),
      started: record.started.map(({ job, active }) => ({ job: { ...job }, active })),
      requeued: record.requeued.map((r) => ({ failed: { ...r.failed }, retry: { ...r.retry } })),
    };
    const done = written
      .then(
        () => this.tell(record, said),
        (err: unknown) => this.notWritten(record, err),
      )
      .catch((err: unknown) => this.reportError(err));
    this.writing = this.writing.then(() => done);
  }

  private async compute(tx: StateTx, record: PassRecord): Promise<void> {
    const { ctx, supervisor } = this;
    let changed = record.recording.length > 0;
    // Jobs this daemon started whose start an earlier update failed to write: running all the same.
    if (supervisor.active.size > 0) {
      for (const job of tx.queue.jobs) {
        const a = job.state === 'queued' ? supervisor.active.get(job.job_id) : undefined;
        if (a?.runningAs) {
          Object.assign(job, a.runningAs);
          changed = true;
        }
      }
    }
    this.recordEnded(tx, record);
    for (const job of tx.queue.jobs) {
      if (job.state !== 'running' || !job.cancel_requested) continue;
      const a = supervisor.active.get(job.job_id);
      if (a && !a.stopReason) record.toCancel.push(a);
    }
    if (ctx.state !== 'running') return;
    // The jobs recorded as ended above no longer hold their device.
    const load = supervisor.deviceLoad(new Set(record.recording.map((e) => e.a.jobId)));
    const decision = schedule(tx.queue.jobs, {
      maxParallel: ctx.options.maxParallel,
      gpuSlots: ctx.options.gpuSlots,
      pausedGroups: await this.pausedGroups(tx),
      lastServedGroup: tx.queue.last_served_group ?? null,
      gpuJobsNeedSlot: ctx.gpus.length > 0,
      gpuCapacity: deviceCapacity(ctx.gpus, load),
    });
    await this.startScheduled(tx, record, decision, load);
    if (decision.starts.length > 0) tx.queue.last_served_group = decision.lastServedGroup;
    // Nothing ended, nothing started (a look after a change of the state, most often its own): the
    // state stays as it is, without serialising it to find out.
    else if (!changed) tx.leaveUnchanged();
  }

  /** The ends concluded since the last pass, recorded (and re-queued when a shutdown interrupted them). */
  private recordEnded(tx: StateTx, record: PassRecord): void {
    const { ctx } = this;
    for (const e of record.recording) {
      const job = tx.queue.jobs.find((j) => j.job_id === e.a.jobId);
      if (!job || job.state !== 'running') {
        // Only this daemon ends a running job: the queue was changed behind its back.
        ctx.log.warn({ job_id: e.a.jobId, state: job?.state ?? null }, 'a job that ended is no longer running in queue.json; its end is not recorded');
        continue;
      }
      finishJob(job, { state: e.state, finishedAt: tx.now, error: e.error, exitCode: e.exitCode });
      tx.recordMetric(job.run_id, e.metric);
      if (e.written) tx.waitFor(e.written);
      if (e.a.stopReason === 'shutdown' && ctx.options.orphanPolicy === 'requeue' && job.attempt < ctx.options.maxAttempts) {
        const retry = requeueJob(job, tx.newJobId(), tx.now);
        tx.queue.jobs.push(retry);
        record.requeued.push({ failed: job, retry });
      }
      record.finished.push(job);
    }
  }

  /** Starts the jobs the scheduler picked, side by side: a start waits on its own process, not on the others. */
  private async startScheduled(tx: StateTx, record: PassRecord, decision: ScheduleDecision, load: ReturnType<Supervisor['deviceLoad']>): Promise<void> {
    const { ctx } = this;
    const launches: Promise<void>[] = [];
    for (const { job, usesGpu } of decision.starts) {
      const dir = runDir(ctx.ws, job.run_id);
      if (!existsSync(dir) || !existsSync(requestFileOf(dir))) {
        const missing = existsSync(dir) ? requestFileOf(dir) : dir;
        const what = existsSync(dir) ? 'Request not found' : 'Run directory not found';
        finishJob(job, { state: 'failed', finishedAt: tx.now, error: `${what}: ${displayPath(ctx.ws, missing)}` });
        tx.recordMetric(job.run_id, null);
        ctx.log.warn({ job_id: job.job_id, run_id: job.run_id }, job.error ?? 'run folder missing');
        record.finished.push(job);
        record.failedAtStart++;
        continue;
      }
      const device = usesGpu ? pickDevice(ctx.gpus, load) : undefined;
      if (device) (load.reservations as Map<number, number>).set(device.index, (load.reservations.get(device.index) ?? 0) + 1);
      launches.push(
        launchJob(ctx, this.supervisor, this.pythons, tx, job, { usesGpu, gpuDevice: device?.index ?? null }).then((a) => {
          if (a) record.started.push({ job, active: a });
          else {
            record.finished.push(job);
            record.failedAtStart++;
          }
        }),
      );
    }
    await Promise.all(launches);
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
        this.ctx.log.error({ group_id: gid, err: (err as Error).message }, 'group record unreadable; its jobs wait');
      }
    }
    return paused;
  }

  /** The pass is durable: the ended jobs let go of their slots, and everything is said. */
  private tell(record: PassRecord, said: { finished: Job[]; started: { job: Job; active: ActiveJob }[]; requeued: { failed: Job; retry: Job }[] }): void {
    const { ctx, supervisor } = this;
    for (const e of record.recording) {
      supervisor.active.delete(e.a.jobId);
      e.a.resolveSettled();
    }
    for (const job of said.finished) {
      ctx.log.info({ job_id: job.job_id, state: job.state, error: job.error }, 'job finished');
      ctx.events.emit('job:finished', { job });
    }
    for (const r of said.requeued) ctx.events.emit('job:requeued', r);
    for (const { job, active } of said.started) {
      ctx.log.info({ job_id: job.job_id, run_id: job.run_id, pid: active.handle.pid, gpu: active.gpuDevice }, 'job started');
      ctx.events.emit('job:started', { job, gpuDevice: active.gpuDevice });
    }
    for (const a of record.toCancel) void supervisor.stop(a, 'cancel');
  }

  /**
   * The pass's update (or an earlier one's) was not written: its ends are recorded again by the next
   * pass; the jobs it started are running all the same (see `runningAs`). A job whose result.json could
   * not be written is recorded as failed, as when its run cannot be concluded — unless a full or
   * read-only disk refused it: then result.json is written again a little later, and the job recorded
   * as it ended (the job did its work; the disk was not there for it).
   */
  private notWritten(record: PassRecord, err: unknown): void {
    const { ctx } = this;
    for (const e of record.recording) {
      if (!e.writeError) continue;
      if (isDiskUnwritable(e.writeError) && e.rewrite && ctx.state === 'running') {
        ctx.log.error({ job_id: e.a.jobId, err: describeError(e.writeError) }, `could not write result.json, trying again: ${describeError(e.writeError)}`);
        const again = sleep(ctx.clock, DISK_RETRY_MS).then(e.rewrite);
        Object.assign(e, { written: again, writeError: undefined });
        again.catch((error: unknown) => (e.writeError = error instanceof Error ? error : new Error(String(error))));
        continue;
      }
      ctx.log.error({ job_id: e.a.jobId, err: e.writeError.message }, 'could not conclude the run');
      Object.assign(e, { state: 'failed', error: `Could not conclude the run: ${e.writeError.message}`, metric: null, written: undefined, writeError: undefined });
    }
    this.supervisor.ended.unshift(...record.recording);
    this.reportError(err);
    // At once, unless the disk refuses writes: then after a pause, not in a loop as fast as it fails.
    if (isDiskUnwritable(err)) ctx.clock.setTimeout(() => this.request(), DISK_RETRY_MS);
    else this.request();
  }
}
