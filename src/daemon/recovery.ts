/**
 * Crash recovery at start (G4): every job a previous daemon left running — or started just before it
 * died, before the store recorded it — is re-adopted when its process still runs, concluded from what
 * it left when it ended meanwhile, or failed (and re-queued by policy) when nothing says how it ended.
 */
import type { LaunchRecord } from '../contracts/launch.js';
import type { Job } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import type { JobHandle } from '../executor/executor.js';
import { formatTimestamp } from '../infra/time.js';
import { primaryMetricOf } from '../queue/primary-metric.js';
import { resolveOrphan, resultBelongsTo } from '../queue/recovery.js';
import { usesGpuSlot } from '../queue/scheduler.js';
import { finishJob, requeueJob } from '../queue/transitions.js';
import { concludeRun } from '../run/conclude.js';
import { logsFileOf } from '../run/files/names.js';
import { OutputTail } from '../run/output-tail.js';
import { RunLog } from '../run/run-log.js';
import type { StateTx } from '../store/store.js';
import { readResult } from '../run/files/documents.js';
import { runDir } from '../workspace/paths.js';
import type { DaemonContext } from './context.js';
import type { Supervisor } from './supervision.js';

const handleOf = (job: Job): JobHandle => ({ pid: job.pid!, pgid: job.pgid ?? job.pid!, startTime: job.process_start_time ?? null });

/** Resolves every job a previous daemon left `running` (G4); returns the jobs it ended. */
export async function recoverOrphans(ctx: DaemonContext, supervisor: Supervisor): Promise<Job[]> {
  const adopted: { job: Job; record: LaunchRecord | undefined }[] = [];
  const resolved: Job[] = [];
  await ctx.store.update(async (tx) => {
    tx.queue.max_parallel = ctx.options.maxParallel;
    tx.queue.gpu_slots = ctx.options.gpuSlots;
    for (const job of tx.queue.jobs.filter((j) => j.state === 'queued')) await findStartedQueued(ctx, job);
    for (const job of tx.queue.jobs.filter((j) => j.state === 'running')) {
      const launched = await ctx.store.readLaunch(job.run_id);
      const record = launched?.job_id === job.job_id ? launched : undefined;
      if (job.pid && ctx.executor.isRunning(handleOf(job), job.run_id)) adopted.push({ job, record });
      else {
        await resolveEnded(ctx, tx, job, record);
        resolved.push(job);
      }
    }
  });
  const gpuJobsNeedSlot = ctx.gpus.length > 0;
  for (const { job, record } of adopted) {
    const dir = runDir(ctx.ws, job.run_id);
    const log = new RunLog(logsFileOf(dir), ctx.clock);
    const run = record ? { record, log, tail: OutputTail.resume(dir, log, ctx.clock) } : undefined;
    supervisor.track(job, { adopted: true, usesGpu: usesGpuSlot(job, { gpuSlots: ctx.options.gpuSlots, gpuJobsNeedSlot }), run });
    ctx.log.info({ job_id: job.job_id, pid: job.pid }, 're-adopted a job that survived the previous daemon');
    ctx.events.emit('job:adopted', { job });
  }
  return resolved;
}

/**
 * A queued job whose launch record names it was started by a daemon that died before the store recorded
 * it: running (then resolved with the running jobs) if its process runs or left an end record.
 */
async function findStartedQueued(ctx: DaemonContext, job: Job): Promise<void> {
  const record = await ctx.store.readLaunch(job.run_id);
  if (record?.job_id !== job.job_id) return;
  const dir = runDir(ctx.ws, job.run_id);
  // A record without a PID: the job was started the plain way and its daemon died before naming it.
  const handle: JobHandle | undefined = record.pid ? { pid: record.pid, pgid: record.pid, startTime: record.process_start_time ?? null } : ctx.executor.find({ runDir: dir });
  const alive = !!handle && ctx.executor.isRunning(handle, job.run_id);
  // Neither running nor ended with an end record: it never ran (its shell got no script), or left no
  // trace of it; it stays queued.
  if (!alive && !(await ctx.store.readEnd(job.run_id))) return;
  Object.assign(job, {
    state: 'running',
    started_at: formatTimestamp(record.started_ms),
    ...(handle ? { pid: handle.pid, pgid: handle.pgid, process_start_time: handle.startTime } : {}),
  });
  ctx.log.info({ job_id: job.job_id, pid: handle?.pid ?? null }, 'found a job started just before the previous daemon died');
}

/** A running job whose process is gone: concluded from its end record, its result.json, or failed. */
async function resolveEnded(ctx: DaemonContext, tx: StateTx, job: Job, record: LaunchRecord | undefined): Promise<void> {
  const dir = runDir(ctx.ws, job.run_id);
  let result: RunResult | undefined = await readResult(ctx.ws, job.run_id).catch(() => undefined);
  const end = record && !(result && resultBelongsTo(result, job)) ? await ctx.store.readEnd(job.run_id) : undefined;
  let endedMs: number | undefined;
  if (record && end) {
    // Its process ended after the previous daemon died: conclude the run from what it left.
    const log = new RunLog(logsFileOf(dir), ctx.clock);
    OutputTail.resume(dir, log, ctx.clock).close();
    // Concluded as of when the process ended, not now: its duration is the run's own.
    const now = ctx.clock.now();
    endedMs = end.endedMs === undefined ? undefined : Math.min(now, Math.max(record.started_ms, end.endedMs));
    const exit = { exitCode: end.exitCode, signal: end.signal, cancelled: false };
    result = (await concludeRun({ runDir: dir, clock: ctx.clock, log, record, exit, endedMs })).result;
    await ctx.store.clearRecords(job.run_id);
  }
  const verdict = resolveOrphan(job, { alive: false, result }, ctx.options);
  if (verdict.action === 'finish') {
    const finishedAt = endedMs !== undefined ? formatTimestamp(endedMs) : tx.now;
    finishJob(job, { state: verdict.state, finishedAt, error: verdict.error, exitCode: end?.exitCode ?? null });
    tx.recordMetric(job.run_id, result && verdict.state === 'succeeded' ? primaryMetricOf(result) : null);
    ctx.log.info({ job_id: job.job_id, state: verdict.state }, 'orphaned job resolved from its result.json');
  } else if (verdict.action === 'fail') {
    finishJob(job, { state: 'failed', finishedAt: tx.now, error: verdict.error });
    tx.recordMetric(job.run_id, null);
    ctx.log.warn({ job_id: job.job_id, requeue: verdict.requeue }, verdict.error);
    if (verdict.requeue) tx.queue.jobs.push(requeueJob(job, tx.newJobId(), tx.now));
  }
}
