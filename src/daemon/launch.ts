/**
 * Launching a job the scheduler picked: its run is prepared (request, device, first log lines), the
 * executor starts its process — the launch record written before the process can run — and the job
 * is recorded as running in the same store update. A job that cannot start ends at once in that
 * update, with its result.json written.
 */
import type { LaunchRecord } from '../contracts/launch.js';
import type { Job } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import { type JobHandle, StartError } from '../executor/executor.js';
import { primaryMetricOf } from '../queue/primary-metric.js';
import { jobStateOfResult } from '../queue/recovery.js';
import { finishJob, startJob } from '../queue/transitions.js';
import { ENV_GPU_ID, ENV_GPU_PRESENT, ENV_GPU_REASON } from '../run/device.js';
import { concludeRun } from '../run/conclude.js';
import { type PreparedRun, prepareRun } from '../run/prepare.js';
import { OutputTail } from '../run/output-tail.js';
import type { StateTx } from '../store/store.js';
import { runDir } from '../workspace/paths.js';
import type { DaemonContext } from './context.js';
import type { ActiveJob, Supervisor } from './supervision.js';
import type { TrainerPythons } from './trainer-pythons.js';

/** The job's environment: the daemon's, with the GPU it was given (or why it was given none). */
function jobEnv(ctx: DaemonContext, job: Job, gpuDevice: number | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.options.env };
  delete env[ENV_GPU_ID];
  delete env[ENV_GPU_REASON];
  env[ENV_GPU_PRESENT] = ctx.gpus.length > 0 ? '1' : '0';
  if (gpuDevice !== null) env[ENV_GPU_ID] = String(gpuDevice);
  else if (job.requires_gpu) env[ENV_GPU_REASON] = ctx.gpus.length === 0 ? 'no_gpu_detected' : 'gpu_slot_unavailable';
  return env;
}

/**
 * Starts `job` and records it as running in `tx`. Undefined when the job ended at once (a bad request,
 * a program that does not exist…): it is then finished in `tx`, with its result.json written.
 */
export async function launchJob(
  ctx: DaemonContext,
  supervisor: Supervisor,
  pythons: TrainerPythons,
  tx: StateTx,
  job: Job,
  placement: { usesGpu: boolean; gpuDevice: number | null },
): Promise<ActiveJob | undefined> {
  const dir = runDir(ctx.ws, job.run_id);
  const endAt = (outcome: { status: RunResult['status']; result: RunResult }): undefined => {
    const state = jobStateOfResult(outcome.status);
    finishJob(job, { state, finishedAt: tx.now, error: outcome.result.error?.message ?? null });
    tx.recordMetric(job.run_id, state === 'succeeded' ? primaryMetricOf(outcome.result) : null);
    return undefined;
  };
  let prepared: PreparedRun;
  try {
    const env = jobEnv(ctx, job, placement.gpuDevice);
    prepared = await prepareRun({ ws: ctx.ws, runDir: dir, dryRun: false, jobId: job.job_id, clock: ctx.clock, env, findPython: (t) => pythons.find(t) });
  } catch (err) {
    finishJob(job, { state: 'failed', finishedAt: tx.now, error: `Could not start the run: ${(err as Error).message}` });
    tx.recordMetric(job.run_id, null);
    return undefined;
  }
  if ('outcome' in prepared) return endAt(prepared.outcome);
  const { record, spec, log } = prepared;
  const cannotStart = async (why: string): Promise<undefined> => {
    const outcome = await concludeRun({ runDir: dir, clock: ctx.clock, log, record, exit: { exitCode: null, signal: null, cancelled: false, spawnError: why } });
    await ctx.store.clearRecords(job.run_id); // a launch record written before the start failed
    return endAt(outcome);
  };
  const request = { jobId: job.job_id, runId: job.run_id, runDir: dir, mode: record.mode, spec };
  const unfit = ctx.executor.check(request);
  if (unfit !== undefined) return cannotStart(unfit);
  await ctx.store.clearEnd(job.run_id);
  const tail = OutputTail.start(dir, log, ctx.clock);
  // Named in the launch record before the store records the job as running: a daemon taking over after
  // a crash in between finds the process instead of starting the run again (recovery.ts).
  let launched: LaunchRecord = record;
  const recordLaunch = async (handle: JobHandle | undefined): Promise<void> => {
    launched = handle ? { ...record, pid: handle.pid, process_start_time: handle.startTime } : record;
    await ctx.store.writeLaunch(job.run_id, launched);
  };
  let started;
  try {
    started = await ctx.executor.start(request, recordLaunch);
  } catch (err) {
    if (!(err instanceof StartError)) throw err;
    tail.close();
    return cannotStart(err.message);
  }
  const { handle, exited } = started;
  const runningAs = startJob(job, { startedAt: tx.now, pid: handle.pid, pgid: handle.pgid, startTime: handle.startTime, gpuDevice: placement.gpuDevice });
  const a = supervisor.track(job, { adopted: false, usesGpu: placement.usesGpu, exited, run: { record: launched, log, tail } });
  a.runningAs = runningAs;
  return a;
}
