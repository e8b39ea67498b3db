/**
 * One daemon per workspace: daemon.lock names it (taken over when its holder is dead or its heartbeat
 * stale), and daemon.json is its heartbeat — what `status` and a would-be second daemon read.
 */
import { OperationFailedError } from '../infra/errors.js';
import { formatTimestamp, parseTimestamp } from '../infra/time.js';
import { daemonIdentity, isDaemonArgv } from '../process/daemon-liveness.js';
import { isAlive, processArgv } from '../process/identity.js';
import { readDaemonLockPid, readDaemonStatus, writeDaemonLock, writeDaemonStatus } from '../workspace/daemon-files.js';
import { withStateLock } from '../workspace/lock.js';
import type { DaemonContext } from './context.js';

export class AlreadyRunningError extends OperationFailedError {
  constructor(pid: number) {
    super(`Another daemon is already running (PID: ${pid})`);
  }
}

/** Takes daemon.lock, or throws `AlreadyRunningError`. A stale lock is taken over. */
export async function acquireDaemonLock(ctx: DaemonContext): Promise<void> {
  await withStateLock(ctx.ws, async () => {
    const holder = await readDaemonLockPid(ctx.ws);
    if (holder !== undefined && holder !== ctx.pid) {
      const reason = await staleReason(ctx, holder);
      if (reason === undefined) throw new AlreadyRunningError(holder);
      ctx.log.warn({ previous_pid: holder, reason }, `took over a stale daemon lock (PID ${holder}: ${reason})`);
      ctx.events.emit('lock:takeover', { previousPid: holder, reason });
    }
    await writeDaemonLock(ctx.ws, ctx.pid);
  });
}

/** Why the daemon lock of `pid` is stale, or undefined when that daemon is alive. */
async function staleReason(ctx: DaemonContext, pid: number): Promise<string | undefined> {
  if (!isAlive(pid)) return 'process is not running';
  if (!isDaemonArgv(processArgv(pid))) return 'process is not a RunForge daemon';
  const status = await readDaemonStatus(ctx.ws).catch(() => undefined);
  const beat = status?.pid === pid ? parseTimestamp(status.last_heartbeat) : undefined;
  if (beat !== undefined && ctx.clock.now() - beat > ctx.options.staleMs) return 'heartbeat is stale';
  return undefined;
}

/** Whether daemon.lock still names this daemon (an unreadable lock is taken as ours). */
export async function holdsDaemonLock(ctx: DaemonContext): Promise<{ holds: boolean; holder: number | undefined }> {
  const holder = await readDaemonLockPid(ctx.ws).catch(() => ctx.pid);
  return { holds: holder === ctx.pid, holder };
}

/** Writes daemon.json: who this daemon is, its settings, its jobs, now. */
export async function writeHeartbeat(ctx: DaemonContext, facts: { startedAtMs: number; activeJobs: number; activeGpuJobs: number }): Promise<void> {
  const { options, clock, gpus } = ctx;
  await writeDaemonStatus(ctx.ws, {
    version: 1,
    pid: ctx.pid,
    started_at: formatTimestamp(facts.startedAtMs || clock.now()),
    last_heartbeat: formatTimestamp(clock.now()),
    max_parallel: options.maxParallel,
    gpu_slots: options.gpuSlots,
    active_jobs: facts.activeJobs,
    active_gpu_jobs: facts.activeGpuJobs,
    state: ctx.state === 'starting' ? 'running' : ctx.state,
    jobs_per_gpu: options.jobsPerGpu,
    gpus: gpus.map((g) => ({ index: g.index, name: g.name, uuid: g.uuid, memory_total_mb: g.memory_total_mb })),
    ...identityOf(ctx.pid),
  }).catch((err: unknown) => ctx.log.error({ err: String(err) }, 'could not write daemon.json'));
}

let identity: ReturnType<typeof daemonIdentity> | undefined;
/** Where and as which process this daemon runs (liveness), looked up once. */
const identityOf = (pid: number): ReturnType<typeof daemonIdentity> => (identity ??= daemonIdentity(pid));
